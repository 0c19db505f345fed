import 'reflect-metadata';
import { bootstrapHttpService, createLogger, loadConfigOrExit } from '@kb4/platform';
import { ProvisionerConfig } from './config/provisioner.config';
import { ProvisionerModule } from './provisioner.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit(ProvisionerConfig, 'provisioner');
  const logger = createLogger('provisioner', config.LOG_LEVEL);
  await bootstrapHttpService({
    service: 'provisioner',
    module: ProvisionerModule.forConfig(config),
    port: config.PROVISIONER_PORT,
    host: config.HTTP_HOST,
    logger,
  });
}

void main();
