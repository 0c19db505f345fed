import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AccountAdminRepository, CredentialCipher, FleetStatusRepository, LicenseRepository, RateBudgetRepository, SyncQueueRepository } from '@kb4/persistence';
import { IntegratedAccountsController } from './integrated-accounts.controller';
import { IntegratedAccountsService } from './integrated-accounts.service';
import { LicensesController } from './licenses.controller';
import { KnowBe4BudgetService } from './knowbe4-budget.service';
import { LicensesService } from './licenses.service';
import { SyncLagService } from './sync-lag.service';

@Module({
  controllers: [IntegratedAccountsController, LicensesController],
  providers: [
    {
      provide: AccountAdminRepository,
      useFactory: (ds: DataSource, cipher: CredentialCipher) => new AccountAdminRepository(ds, cipher),
      inject: [DataSource, CredentialCipher],
    },
    { provide: SyncQueueRepository, useFactory: (ds: DataSource) => new SyncQueueRepository(ds), inject: [DataSource] },
    { provide: LicenseRepository, useFactory: (ds: DataSource) => new LicenseRepository(ds), inject: [DataSource] },
    { provide: RateBudgetRepository, useFactory: (ds: DataSource) => new RateBudgetRepository(ds), inject: [DataSource] },
    { provide: FleetStatusRepository, useFactory: (ds: DataSource) => new FleetStatusRepository(ds), inject: [DataSource] },
    IntegratedAccountsService,
    LicensesService,
    KnowBe4BudgetService,
    SyncLagService,
  ],
})
export class AccountsModule {}
