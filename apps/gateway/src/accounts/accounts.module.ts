import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountAdminRepository, CredentialCipher, SyncQueueRepository } from '@kb4/persistence';
import { IntegratedAccountsController } from './integrated-accounts.controller';
import { IntegratedAccountsService } from './integrated-accounts.service';

@Module({
  controllers: [IntegratedAccountsController],
  providers: [
    {
      provide: AccountAdminRepository,
      useFactory: (ds: DataSource, cipher: CredentialCipher) => new AccountAdminRepository(ds, cipher),
      inject: [DataSource, CredentialCipher],
    },
    { provide: SyncQueueRepository, useFactory: (ds: DataSource) => new SyncQueueRepository(ds), inject: [DataSource] },
    IntegratedAccountsService,
  ],
})
export class AccountsModule {}
