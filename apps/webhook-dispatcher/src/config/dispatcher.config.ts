import { IsBoolean, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';
import { RETRY_SCHEDULE_PATTERN } from '../delivery/retry-schedule';

/** apps/webhook-dispatcher: reads CREDENTIALS_KEY (the webhooks' signing secrets are stored encrypted with it). */
export class DispatcherConfig extends ServiceConfig {
  /** Health and metrics port. */
  @IsPort()
  WEBHOOK_DISPATCHER_PORT = 3003;

  @IsString()
  @Matches(/^[A-Za-z0-9._-]+$/)
  WEBHOOK_CONSUMER_GROUP = 'kb4-webhook-dispatcher';

  /**
   * Waits between attempts after each failed one (s, m, h or plain seconds); after the last, the delivery is given up.
   * The default is Standard Webhooks' recommended schedule: 8 attempts over about 27.6 hours.
   */
  @Matches(RETRY_SCHEDULE_PATTERN, { message: 'must be a comma list of durations such as 5s,5m,30m,2h' })
  WEBHOOK_RETRY_SCHEDULE = '5s,5m,30m,2h,5h,10h,10h';

  /** One attempt's bound: connect, headers and body; a slower endpoint counts as failed. */
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 15_000;

  /** Deliveries in flight at once in this process. */
  @IsInt()
  @Min(1)
  @Max(1000)
  WEBHOOK_CONCURRENCY = 16;

  /** How often due deliveries (retries, redeliveries, other replicas' leftovers) are looked for. */
  @IsInt()
  @Min(50)
  @Max(60_000)
  WEBHOOK_POLL_INTERVAL_MS = 1_000;

  /** A claimed delivery is this dispatcher's for this long; a crashed dispatcher's claims are taken over after it. */
  @IsInt()
  @Min(5)
  @Max(3600)
  WEBHOOK_LEASE_SECONDS = 60;

  /** A webhook whose every attempt has failed for this long is disabled (default 5 days). */
  @IsInt()
  @Min(1)
  @Max(90 * 86_400)
  WEBHOOK_DISABLE_AFTER_SECONDS = 5 * 86_400;

  /** Bytes of a response body kept in the delivery log; the rest is not read. */
  @IsInt()
  @Min(0)
  @Max(65_536)
  WEBHOOK_RESPONSE_BODY_LIMIT = 4_096;

  /** Finished deliveries (and their attempts) stay in the delivery log this long. */
  @IsInt()
  @Min(1)
  @Max(3650)
  WEBHOOK_LOG_RETENTION_DAYS = 30;

  /** Targets may be plain http (local demo, tests). */
  @IsBoolean()
  WEBHOOKS_ALLOW_HTTP = false;

  /** Targets may resolve to loopback, private or link-local addresses (local demo, tests). Never in production. */
  @IsBoolean()
  WEBHOOKS_ALLOW_PRIVATE = false;

  @IsInt()
  @Min(3000)
  @Max(300_000)
  WEBHOOK_SESSION_TIMEOUT_MS = 30_000;

  @IsInt()
  @Min(100)
  @Max(60_000)
  WEBHOOK_HEARTBEAT_INTERVAL_MS = 3_000;

  /** Longest a fetch waits for new events (kafkajs' 5 s default would delay every delivery). */
  @IsInt()
  @Min(10)
  @Max(10_000)
  WEBHOOK_MAX_WAIT_MS = 100;
}
