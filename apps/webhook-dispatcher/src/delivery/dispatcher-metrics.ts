import { Counter } from 'prom-client';
import { metricsRegistry } from '@kb4/platform';

export const deliveryAttempts = new Counter({
  name: 'kb4_webhook_delivery_attempts_total',
  help: 'Webhook HTTP attempts, by outcome (delivered: a 2xx; failed: anything else)',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

export const deliveriesFinished = new Counter({
  name: 'kb4_webhook_deliveries_finished_total',
  help: 'Webhook deliveries that ended: succeeded, or given_up after the last retry',
  labelNames: ['outcome'],
  registers: [metricsRegistry],
});

export const deliveriesStored = new Counter({
  name: 'kb4_webhook_deliveries_stored_total',
  help: 'Webhook deliveries stored from consumed Kafka events',
  registers: [metricsRegistry],
});

export const webhooksDisabled = new Counter({
  name: 'kb4_webhooks_disabled_total',
  help: 'Webhooks disabled automatically after persistent delivery failure',
  registers: [metricsRegistry],
});
