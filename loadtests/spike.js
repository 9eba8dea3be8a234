// Spike: from baseline to ten times baseline in 30 seconds and back (a tenant's batch job).
import { thresholds, tenantSession } from './lib.js';

export const options = {
  scenarios: {
    spike: { executor: 'ramping-arrival-rate', startRate: 50, timeUnit: '1s', preAllocatedVUs: 200, maxVUs: 1500,
      stages: [{ target: 50, duration: '2m' }, { target: 500, duration: '30s' }, { target: 500, duration: '3m' },
        { target: 50, duration: '30s' }, { target: 50, duration: '5m' }] },
  },
  // Latency may degrade during the spike; errors may not.
  thresholds: thresholds({ http_req_duration: ['p(50)<500', 'p(95)<2000', 'p(99)<4000'] }),
};

export default function () { tenantSession(); }
