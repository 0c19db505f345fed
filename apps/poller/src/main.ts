import 'reflect-metadata';
import { bootstrapHttpService, createLogger, loadConfigOrExit } from '@kb4/platform';
import { PollerConfig } from './config/poller.config';
import { PollerModule } from './poller.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(PollerConfig, 'poller');
  const logger = createLogger('poller', config.LOG_LEVEL);
  await bootstrapHttpService({
    service: 'poller',
    module: PollerModule.forConfig(config, logger),
    port: config.POLLER_PORT,
    host: config.HTTP_HOST,
    logger,
  });
}

void main();
