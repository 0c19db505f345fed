import { IsInt, Max, Min } from 'class-validator';
import { IsPort, ServiceConfig } from '@kb4/platform';

export class ProvisionerConfig extends ServiceConfig {
  @IsPort()
  PROVISIONER_PORT = 3002;

  @IsInt()
  @Min(1)
  @Max(256)
  PROVISIONER_CONCURRENCY = 8;
}
