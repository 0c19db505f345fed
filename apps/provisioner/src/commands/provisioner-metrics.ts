import { metricsRegistry } from '@kb4/platform';
import { Counter, Histogram } from 'prom-client';

export const commandsHandled = new Counter({
  name: 'kb4_provisioner_commands_total',
  help: 'Command messages handled, by outcome (succeeded, failed, malformed, duplicate, already_finished, unknown_operation)',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

export const commandAttempts = new Counter({
  name: 'kb4_provisioner_attempts_total',
  help: 'SCIM write attempts, by command type and outcome (succeeded, retry, failed)',
  labelNames: ['command_type', 'outcome'],
  registers: [metricsRegistry],
});

export const commandDuration = new Histogram({
  name: 'kb4_provisioner_command_duration_seconds',
  help: 'Time from receiving a command message to recording its outcome',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [metricsRegistry],
});
