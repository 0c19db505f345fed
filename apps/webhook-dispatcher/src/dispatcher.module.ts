import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule, pingDatabase } from '@kb4/persistence';
import { createLogger, HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { DispatcherConfig } from './config/dispatcher.config';
import { DISPATCHER_LOGGER, DispatcherRuntime } from './dispatcher-runtime';

@Module({})
class DispatcherRuntimeModule {
  static forConfig(config: DispatcherConfig): DynamicModule {
    return {
      module: DispatcherRuntimeModule,
      providers: [
        { provide: DispatcherConfig, useValue: config },
        { provide: DISPATCHER_LOGGER, useValue: createLogger('webhook-dispatcher', config.LOG_LEVEL) },
        DispatcherRuntime,
      ],
      exports: [DispatcherRuntime],
    };
  }
}

/** apps/webhook-dispatcher: Kafka events → stored webhook deliveries → signed POSTs; health and metrics over HTTP. */
@Module({})
export class DispatcherModule {
  static forConfig(config: DispatcherConfig): DynamicModule {
    const runtime = DispatcherRuntimeModule.forConfig(config);
    return {
      module: DispatcherModule,
      imports: [
        // each delivery in flight records its attempt on one connection; the consumer's transaction and claims need a few
        PersistenceModule.forRoot({ url: config.DATABASE_URL, poolSize: Math.max(10, Math.min(config.WEBHOOK_CONCURRENCY, 50) + 4) }),
        runtime,
        HealthModule.forChecks({
          imports: [runtime],
          useFactory: (dataSource: DataSource, dispatcher: DispatcherRuntime) => [
            postgresReadiness(() => pingDatabase(dataSource)),
            kafkaReadiness(kafkaBrokerList(config)),
            dispatcher.readiness(),
          ],
          inject: [DataSource, DispatcherRuntime],
        }),
        MetricsModule.forConfig(config),
      ],
    };
  }
}
