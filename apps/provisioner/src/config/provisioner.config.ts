import { IsIn, IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';

export class ProvisionerConfig extends ServiceConfig {
  @IsPort()
  PROVISIONER_PORT = 3002;

  /** Commands of different users (keys) applied at once; one key is always applied in order. */
  @IsInt()
  @Min(1)
  @Max(256)
  PROVISIONER_CONCURRENCY = 8;

  /**
   * Postgres connections of the command path. A command holds one only for a statement or its outcome's transaction,
   * never across a SCIM call, so a few serve any concurrency.
   */
  @IsInt()
  @Min(2)
  @Max(100)
  PROVISIONER_DATABASE_POOL_SIZE = 4;

  /**
   * Seconds a claimed attempt holds its operation unless renewed (renewed every third while its SCIM call lasts). A
   * provisioner killed mid-command holds it this long at most; then another delivery redoes the command.
   */
  @IsInt()
  @Min(2)
  @Max(600)
  PROVISIONER_LEASE_SECONDS = 30;

  /** Commands taken from Kafka and not yet finished; above it partitions are paused until half have finished. */
  @IsInt()
  @Min(1)
  @Max(100_000)
  PROVISIONER_MAX_BUFFERED = 256;

  /** Attempts per command delivery before the DLQ; each attempt is one SCIM write with the client's own retries. */
  @IsInt()
  @Min(1)
  @Max(20)
  PROVISIONER_MAX_ATTEMPTS = 5;

  /** Ceiling of the first backoff between attempts; doubles per attempt (full jitter). */
  @IsInt()
  @Min(0)
  @Max(60_000)
  PROVISIONER_RETRY_BASE_MS = 500;

  @IsInt()
  @Min(0)
  @Max(300_000)
  PROVISIONER_RETRY_MAX_MS = 8_000;

  /** HTTP attempts of one SCIM call inside one attempt (libs/knowbe4 retry), kept small: the outer loop owns the budget. */
  @IsInt()
  @Min(1)
  @Max(10)
  PROVISIONER_SCIM_HTTP_ATTEMPTS = 3;

  /** KnowBe4 documents no SCIM limit; `seed` paces to 1,000/min per token, `documented` to the Reporting limits. */
  @IsIn(['off', 'seed', 'documented'])
  PROVISIONER_SCIM_PACING: 'off' | 'seed' | 'documented' = 'off';

  @IsString()
  @Matches(/^[A-Za-z0-9._-]+$/)
  PROVISIONER_CONSUMER_GROUP = 'kb4-provisioner';

  @IsInt()
  @Min(3000)
  @Max(300_000)
  PROVISIONER_SESSION_TIMEOUT_MS = 30_000;

  @IsInt()
  @Min(100)
  @Max(60_000)
  PROVISIONER_HEARTBEAT_INTERVAL_MS = 3_000;

  /** Longest a fetch waits for new commands; the kafkajs default of 5 s would add seconds to every command. */
  @IsInt()
  @Min(10)
  @Max(10_000)
  PROVISIONER_MAX_WAIT_MS = 100;
}
