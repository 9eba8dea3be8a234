// Shared request mix of every scenario: what a tenant does with the platform.
// BASE_URL and API_KEY come from the TestRun's environment (app/load_testing.py); API_KEY is the
// load-test tenant's key from Secrets Manager (External Secrets), never a literal.
import http from 'k6/http';
import { check, group, sleep } from 'k6';

export const BASE_URL = __ENV.BASE_URL || 'http://api.platform-core.svc.cluster.local';
const HEADERS = {
  headers: { Authorization: `Bearer ${__ENV.API_KEY || ''}`, 'Content-Type': 'application/json' },
};

// The guide's targets: p50/p95/p99 latency and error rate (thresholds fail the run when crossed).
export const LATENCY_THRESHOLDS = ['p(50)<300', 'p(95)<800', 'p(99)<1500'];
export const ERROR_THRESHOLD = ['rate<0.01'];

export function thresholds(overrides) {
  return Object.assign({
    http_req_duration: LATENCY_THRESHOLDS,
    http_req_failed: ERROR_THRESHOLD,
    checks: ['rate>0.99'],
  }, overrides || {});
}

export function tenantSession() {
  group('health', () => {
    check(http.get(`${BASE_URL}/health/ready`), { 'ready 200': (r) => r.status === 200 });
  });
  group('agents', () => {
    check(http.get(`${BASE_URL}/api/v1/agents`, HEADERS), { 'list 200': (r) => r.status === 200 });
  });
  group('knowledge', () => {
    const body = JSON.stringify({ query: 'load test', top_k: 3 });
    check(http.post(`${BASE_URL}/api/v1/knowledge/query`, body, HEADERS),
      { 'query 200': (r) => r.status === 200 });
  });
  sleep(1);
}
