// Soak: baseline load for four hours: leaks, connection-pool exhaustion, log/disk growth.
import { thresholds, tenantSession } from './lib.js';

export const options = {
  scenarios: {
    soak: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '4h',
      preAllocatedVUs: 50, maxVUs: 200 },
  },
  thresholds: thresholds(),
};

export default function () { tenantSession(); }
