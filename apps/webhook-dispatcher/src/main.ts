import 'reflect-metadata';
import { bootstrapHttpService, createLogger, loadConfigOrExit } from '@kb4/platform';
import { DispatcherConfig } from './config/dispatcher.config';
import { DispatcherModule } from './dispatcher.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(DispatcherConfig, 'webhook-dispatcher');
  const logger = createLogger('webhook-dispatcher', config.LOG_LEVEL);
  await bootstrapHttpService({
    service: 'webhook-dispatcher',
    module: DispatcherModule.forConfig(config),
    port: config.WEBHOOK_DISPATCHER_PORT,
    host: config.HTTP_HOST,
    logger,
  });
}

void main();
