// Normal load (baseline): the steady request rate of an ordinary weekday.
import { thresholds, tenantSession } from './lib.js';

export const options = {
  scenarios: {
    baseline: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '15m',
      preAllocatedVUs: 50, maxVUs: 200 },
  },
  thresholds: thresholds(),
};

export default function () { tenantSession(); }
