import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule, pingDatabase } from '@kb4/persistence';
import { createLogger, HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { AutomationsConfig } from './config/automations.config';
import { AUTOMATIONS_LOGGER, AutomationsRuntime } from './automations-runtime';

@Module({})
class AutomationsRuntimeModule {
  static forConfig(config: AutomationsConfig): DynamicModule {
    return {
      module: AutomationsRuntimeModule,
      providers: [
        { provide: AutomationsConfig, useValue: config },
        { provide: AUTOMATIONS_LOGGER, useValue: createLogger('automations', config.LOG_LEVEL) },
        AutomationsRuntime,
      ],
      exports: [AutomationsRuntime],
    };
  }
}

/** apps/automations: directory changes → new-hire and mapping-rule membership commands; health and metrics over HTTP. */
@Module({})
export class AutomationsModule {
  static forConfig(config: AutomationsConfig): DynamicModule {
    const runtime = AutomationsRuntimeModule.forConfig(config);
    return {
      module: AutomationsModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, poolSize: 8 }),
        runtime,
        HealthModule.forChecks({
          imports: [runtime],
          useFactory: (dataSource: DataSource, automations: AutomationsRuntime) => [
            postgresReadiness(() => pingDatabase(dataSource)),
            kafkaReadiness(kafkaBrokerList(config)),
            automations.readiness(),
          ],
          inject: [DataSource, AutomationsRuntime],
        }),
        MetricsModule.forConfig(config),
      ],
    };
  }
}
