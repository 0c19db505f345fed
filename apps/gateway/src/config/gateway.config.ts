import { IsPort, ServiceConfig } from '@kb4/platform';

export class GatewayConfig extends ServiceConfig {
  @IsPort()
  GATEWAY_PORT = 3000;
}
