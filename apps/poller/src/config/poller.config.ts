import { IsInt, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';

export class PollerConfig extends ServiceConfig {
  @IsPort()
  POLLER_PORT = 3001;

  @IsInt()
  @Min(60)
  POLL_INTERVAL_SECONDS = 900;
}
