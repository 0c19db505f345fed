import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';

/** apps/automations: new hires and the group mapping engine (issue 13 points 2 and 3). */
export class AutomationsConfig extends ServiceConfig {
  /** Health and metrics port. */
  @IsPort()
  AUTOMATIONS_PORT = 3004;

  @IsString()
  @Matches(/^[A-Za-z0-9._-]+$/)
  AUTOMATIONS_CONSUMER_GROUP = 'kb4-automations';

  /** Changes automations may make to one (user, group) within AUTOMATIONS_FLAP_WINDOW_SECONDS before it stops and reports flapping. */
  @IsInt()
  @Min(1)
  @Max(100)
  AUTOMATIONS_FLAP_LIMIT = 3;

  @IsInt()
  @Min(60)
  @Max(30 * 86_400)
  AUTOMATIONS_FLAP_WINDOW_SECONDS = 86_400;

  /** How often ended new-hire periods and pending re-evaluations are looked for. */
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  AUTOMATIONS_POLL_INTERVAL_MS = 2_000;

  @IsInt()
  @Min(3000)
  @Max(300_000)
  AUTOMATIONS_SESSION_TIMEOUT_MS = 30_000;

  @IsInt()
  @Min(100)
  @Max(60_000)
  AUTOMATIONS_HEARTBEAT_INTERVAL_MS = 3_000;

  /** Longest a fetch waits for new events. */
  @IsInt()
  @Min(10)
  @Max(10_000)
  AUTOMATIONS_MAX_WAIT_MS = 100;
}
