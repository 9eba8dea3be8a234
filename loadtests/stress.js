// Stress: raise the rate step by step until the error rate crosses 5%: the stage it stops in is
// the breaking point (abortOnFail ends the run there instead of hammering a broken system).
import { LATENCY_THRESHOLDS, thresholds, tenantSession } from './lib.js';

export const options = {
  scenarios: {
    stress: { executor: 'ramping-arrival-rate', startRate: 50, timeUnit: '1s', preAllocatedVUs: 200, maxVUs: 2000,
      stages: [
        { target: 100, duration: '5m' }, { target: 200, duration: '5m' }, { target: 400, duration: '5m' },
        { target: 800, duration: '5m' }, { target: 1600, duration: '5m' }, { target: 0, duration: '2m' },
      ] },
  },
  thresholds: thresholds({
    http_req_failed: [{ threshold: 'rate<0.05', abortOnFail: true, delayAbortEval: '1m' }],
    http_req_duration: LATENCY_THRESHOLDS.map((t) => ({ threshold: t, abortOnFail: false })),
  }),
};

export default function () { tenantSession(); }
