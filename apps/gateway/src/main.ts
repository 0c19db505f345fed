import 'reflect-metadata';
import { bootstrapHttpService, createLogger, loadConfigOrExit } from '@kb4/platform';
import { GatewayConfig } from './config/gateway.config';
import { configureGatewayApp } from './gateway-app';
import { GatewayModule } from './gateway.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(GatewayConfig, 'gateway');
  const logger = createLogger('gateway', config.LOG_LEVEL);
  await bootstrapHttpService({
    service: 'gateway',
    module: GatewayModule.forConfig(config),
    port: config.GATEWAY_PORT,
    host: config.HTTP_HOST,
    logger,
    // bodies are read by JsonBodyMiddleware, after the API key is authenticated
    bodyParser: false,
    configure: (app) => configureGatewayApp(app),
  });
}

void main();
