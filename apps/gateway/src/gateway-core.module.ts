import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SharedRatePacerRegistry } from '@kb4/knowbe4';
import { CredentialCipher, DirectoryReadRepository, IntegratedAccountRepository, RateBudgetRepository, WorkspaceRepository } from '@kb4/persistence';
import { AccountScope } from './accounts/account-scope';
import { KnowBe4ClientFactory } from './accounts/knowbe4-clients';
import { AdminToken } from './auth/admin-token';
import { ApiKeyAuthenticator } from './auth/api-key-authenticator';
import { ApiKeyGuard } from './auth/api-key.guard';
import { GatewayConfig } from './config/gateway.config';

/**
 * What every gateway feature module uses, provided once and globally: the validated config, repositories,
 * the API-key guard, the account-scoping helper, the KnowBe4 client factory and the shared KnowBe4 budget.
 */
@Global()
@Module({})
export class GatewayCoreModule {
  static forConfig(config: GatewayConfig): DynamicModule {
    const exported = [
      GatewayConfig,
      CredentialCipher,
      WorkspaceRepository,
      IntegratedAccountRepository,
      DirectoryReadRepository,
      ApiKeyAuthenticator,
      ApiKeyGuard,
      AdminToken,
      AccountScope,
      KnowBe4ClientFactory,
      SharedRatePacerRegistry,
    ];
    return {
      module: GatewayCoreModule,
      providers: [
        { provide: GatewayConfig, useValue: config },
        {
          provide: CredentialCipher,
          useFactory: () => CredentialCipher.fromConfig(config),
        },
        { provide: WorkspaceRepository, useFactory: (ds: DataSource) => new WorkspaceRepository(ds), inject: [DataSource] },
        {
          provide: IntegratedAccountRepository,
          useFactory: (ds: DataSource, cipher: CredentialCipher) => new IntegratedAccountRepository(ds, cipher),
          inject: [DataSource, CredentialCipher],
        },
        { provide: DirectoryReadRepository, useFactory: (ds: DataSource) => new DirectoryReadRepository(ds), inject: [DataSource] },
        // KnowBe4 budgets live in Postgres so the poller's calls and ours share the account's documented limits,
        // on the poller's clock: under TIME_SCALE both compress the same windows
        {
          provide: SharedRatePacerRegistry,
          useFactory: (ds: DataSource) =>
            new SharedRatePacerRegistry(new RateBudgetRepository(ds), { syncReservedShare: config.KNOWBE4_SYNC_RESERVED_SHARE, timeScale: config.TIME_SCALE }),
          inject: [DataSource],
        },
        ApiKeyAuthenticator,
        ApiKeyGuard,
        AdminToken,
        AccountScope,
        KnowBe4ClientFactory,
      ],
      exports: exported,
    };
  }
}
