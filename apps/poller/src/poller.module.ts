import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule, pingDatabase } from '@kb4/persistence';
import { HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PollerConfig } from './config/poller.config';
import { POLLER_LOGGER } from './poller.tokens';
import { PollerOutboxRelayService } from './relay/poller-outbox-relay.service';
import { SyncScheduler } from './sync/sync-scheduler.service';

@Module({})
export class PollerModule {
  static forConfig(config: PollerConfig, logger: Logger): DynamicModule {
    return {
      module: PollerModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL }),
        HealthModule.forChecks({
          useFactory: (dataSource: DataSource) => [
            postgresReadiness(() => pingDatabase(dataSource)),
            kafkaReadiness(kafkaBrokerList(config)),
          ],
          inject: [DataSource],
        }),
        MetricsModule.forConfig(config),
      ],
      providers: [
        { provide: PollerConfig, useValue: config },
        { provide: POLLER_LOGGER, useValue: logger },
        PollerOutboxRelayService,
        SyncScheduler,
      ],
    };
  }
}
