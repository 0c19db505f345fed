import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule } from '@kb4/persistence';
import { HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { PollerConfig } from './config/poller.config';

@Module({})
export class PollerModule {
  static forConfig(config: PollerConfig): DynamicModule {
    return {
      module: PollerModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL }),
        HealthModule.forChecks({
          useFactory: (dataSource: DataSource) => [
            postgresReadiness((sql) => dataSource.query(sql)),
            kafkaReadiness(kafkaBrokerList(config)),
          ],
          inject: [DataSource],
        }),
        MetricsModule,
      ],
    };
  }
}
