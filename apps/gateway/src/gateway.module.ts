import { DynamicModule, MiddlewareConsumer, Module, NestModule, RequestMethod } from '@nestjs/common';
import { PersistenceModule, pingDatabase } from '@kb4/persistence';
import { HealthModule, kafkaBrokerList, kafkaReadiness, MetricsModule, postgresReadiness } from '@kb4/platform';
import { DataSource } from 'typeorm';
import { AccountsModule } from './accounts/accounts.module';
import { AdminModule } from './admin/admin.module';
import { AuditModule } from './audit/audit.module';
import { AutomationsModule } from './automations/automations.module';
import { GatewayConfig } from './config/gateway.config';
import { DirectoryModule } from './directory/directory.module';
import { GatewayCoreModule } from './gateway-core.module';
import { ApiKeyMiddleware } from './auth/api-key.middleware';
import { FailedAuthLimiter } from './auth/failed-auth-limiter';
import { JsonBodyMiddleware } from './http/json-body.middleware';
import { LiveEventsModule } from './live/live-events.module';
import { RateLimitMiddleware } from './http/rate-limit.middleware';
import { ProxyModule } from './proxy/proxy.module';
import { ProvisioningModule } from './provisioning/provisioning.module';
import { RosterModule } from './roster/roster.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class GatewayModule implements NestModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        PersistenceModule.forRoot({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }),
        GatewayCoreModule.forConfig(config),
        HealthModule.forChecks({
          useFactory: (dataSource: DataSource) => [
            postgresReadiness(() => pingDatabase(dataSource)),
            kafkaReadiness(kafkaBrokerList(config)),
          ],
          inject: [DataSource],
        }),
        MetricsModule.forConfig(config),
        AccountsModule,
        DirectoryModule,
        ProxyModule,
        // ── feature modules of other issues plug in here (see apps/gateway/README.md) ──
        // ProvisioningModule (issue 6: writes, /operations) goes on the next line.
        ProvisioningModule,
        AdminModule,
        WebhooksModule,
        RosterModule,
        AutomationsModule,
        LiveEventsModule,
        AuditModule,
      ],
      providers: [FailedAuthLimiter],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // probes must never be throttled; in this order: rate limit, API key, and only then the body is read
    const probes = [{ path: 'health/{*rest}', method: RequestMethod.ALL }, { path: 'metrics', method: RequestMethod.ALL }];
    consumer
      .apply(RateLimitMiddleware, ApiKeyMiddleware)
      .exclude(...probes)
      .forRoutes({ path: '{*rest}', method: RequestMethod.ALL });
    // a roster upload is streamed by its own reader with its own limits (apps/gateway/src/roster/roster-upload.ts)
    consumer
      .apply(JsonBodyMiddleware)
      .exclude(...probes, { path: 'unified/user-directory/roster', method: RequestMethod.PUT })
      .forRoutes({ path: '{*rest}', method: RequestMethod.ALL });
  }
}
