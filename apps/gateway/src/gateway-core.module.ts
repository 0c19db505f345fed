import { DynamicModule, Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CredentialCipher, DirectoryReadRepository, IntegratedAccountRepository, WorkspaceRepository } from '@kb4/persistence';
import { AccountScope } from './accounts/account-scope';
import { KnowBe4ClientFactory } from './accounts/knowbe4-clients';
import { ApiKeyAuthenticator } from './auth/api-key-authenticator';
import { ApiKeyGuard } from './auth/api-key.guard';
import { GatewayConfig } from './config/gateway.config';

/**
 * What every gateway feature module uses, provided once and globally: the validated config, repositories,
 * the API-key guard, the account-scoping helper and the KnowBe4 client factory.
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
      AccountScope,
      KnowBe4ClientFactory,
    ];
    return {
      module: GatewayCoreModule,
      providers: [
        { provide: GatewayConfig, useValue: config },
        {
          provide: CredentialCipher,
          useFactory: () =>
            new CredentialCipher(
              config.CREDENTIALS_KEY,
              (config.CREDENTIALS_PREVIOUS_KEYS ?? '').split(',').map((k) => k.trim()).filter(Boolean),
            ),
        },
        { provide: WorkspaceRepository, useFactory: (ds: DataSource) => new WorkspaceRepository(ds), inject: [DataSource] },
        {
          provide: IntegratedAccountRepository,
          useFactory: (ds: DataSource, cipher: CredentialCipher) => new IntegratedAccountRepository(ds, cipher),
          inject: [DataSource, CredentialCipher],
        },
        { provide: DirectoryReadRepository, useFactory: (ds: DataSource) => new DirectoryReadRepository(ds), inject: [DataSource] },
        ApiKeyAuthenticator,
        ApiKeyGuard,
        AccountScope,
        KnowBe4ClientFactory,
      ],
      exports: exported,
    };
  }
}
