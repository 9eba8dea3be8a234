// Peak load: twice the baseline rate, held long enough for the HPA and Karpenter to settle.
import { thresholds, tenantSession } from './lib.js';

export const options = {
  scenarios: {
    peak: { executor: 'ramping-arrival-rate', startRate: 50, timeUnit: '1s', preAllocatedVUs: 100, maxVUs: 400,
      stages: [{ target: 100, duration: '5m' }, { target: 100, duration: '20m' }, { target: 0, duration: '2m' }] },
  },
  thresholds: thresholds(),
};

export default function () { tenantSession(); }
