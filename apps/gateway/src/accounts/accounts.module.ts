import { Module } from '@nestjs/common';
import { AccountAdminStore } from './account-admin.store';
import { IntegratedAccountsController } from './integrated-accounts.controller';
import { IntegratedAccountsService } from './integrated-accounts.service';

@Module({
  controllers: [IntegratedAccountsController],
  providers: [AccountAdminStore, IntegratedAccountsService],
})
export class AccountsModule {}
