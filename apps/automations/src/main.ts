import 'reflect-metadata';
import { bootstrapHttpService, createLogger, loadConfigOrExit } from '@kb4/platform';
import { AutomationsConfig } from './config/automations.config';
import { AutomationsModule } from './automations.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(AutomationsConfig, 'automations');
  const logger = createLogger('automations', config.LOG_LEVEL);
  await bootstrapHttpService({
    service: 'automations',
    module: AutomationsModule.forConfig(config),
    port: config.AUTOMATIONS_PORT,
    host: config.HTTP_HOST,
    logger,
  });
}

void main();
