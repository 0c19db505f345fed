import { DynamicModule, Module } from '@nestjs/common';
import { PersistenceModule } from '@kb4/persistence';
import { HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { GatewayConfig } from './config/gateway.config';

@Module({})
export class GatewayModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
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
