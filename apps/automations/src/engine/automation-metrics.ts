import { Counter } from 'prom-client';
import { metricsRegistry } from '@kb4/platform';

export const automationOperations = new Counter({
  name: 'kb4_automation_operations_total',
  help: 'Membership and group-create operations automations wrote',
  registers: [metricsRegistry],
});

export const automationConflicts = new Counter({
  name: 'kb4_automation_conflicts_total',
  help: 'Conflicts automations reported instead of changing a membership, by kind (rule_conflict, flapping)',
  labelNames: ['kind'],
  registers: [metricsRegistry],
});
