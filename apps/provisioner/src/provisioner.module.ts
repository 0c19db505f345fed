import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule, pingDatabase } from '@kb4/persistence';
import { createLogger, HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { ProvisionerConfig } from './config/provisioner.config';
import { PROVISIONER_LOGGER, ProvisioningRuntime } from './provisioning-runtime';

/** The consumer, the SCIM writes and the outcome relay; exported so the health checks can ask it. */
@Module({})
class ProvisioningRuntimeModule {
  static forConfig(config: ProvisionerConfig): DynamicModule {
    return {
      module: ProvisioningRuntimeModule,
      providers: [
        { provide: ProvisionerConfig, useValue: config },
        { provide: PROVISIONER_LOGGER, useValue: createLogger('provisioner', config.LOG_LEVEL) },
        ProvisioningRuntime,
      ],
      exports: [ProvisioningRuntime],
    };
  }
}

@Module({})
export class ProvisionerModule {
  static forConfig(config: ProvisionerConfig): DynamicModule {
    const runtime = ProvisioningRuntimeModule.forConfig(config);
    return {
      module: ProvisionerModule,
      imports: [
        // Commands hold a connection only per statement or outcome transaction, never across a SCIM call; the relay has its own session.
        PersistenceModule.forRoot({ url: config.DATABASE_URL, poolSize: config.PROVISIONER_DATABASE_POOL_SIZE }),
        runtime,
        HealthModule.forChecks({
          imports: [runtime],
          useFactory: (dataSource: DataSource, provisioning: ProvisioningRuntime) => [
            postgresReadiness(() => pingDatabase(dataSource)),
            kafkaReadiness(kafkaBrokerList(config)),
            provisioning.readiness(),
          ],
          inject: [DataSource, ProvisioningRuntime],
        }),
        MetricsModule.forConfig(config),
      ],
    };
  }
}
