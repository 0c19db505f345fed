import { Inject, Injectable } from '@nestjs/common';
import { budgetKeyFor } from '@kb4/knowbe4';
import { IntegratedAccountEntity, IntegratedAccountRepository, LicenseRepository, RateBudgetRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';
import { knowbe4Budget, KnowBe4BudgetDto } from './knowbe4-budget';

/** Reads an account's KnowBe4 budget from what we store: no request to KnowBe4, so reading it costs none of it. */
@Injectable()
export class KnowBe4BudgetService {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(IntegratedAccountRepository) private readonly accounts: IntegratedAccountRepository,
    @Inject(RateBudgetRepository) private readonly budgets: RateBudgetRepository,
    @Inject(LicenseRepository) private readonly licenses: LicenseRepository,
  ) {}

  async of(account: IntegratedAccountEntity): Promise<KnowBe4BudgetDto> {
    // the budget is keyed by region and Reporting key (hashed), as every pacer of every process keys it
    const key = budgetKeyFor(account.region, this.accounts.credentialsOf(account).reporting_api_key);
    const [usage, subscription] = await Promise.all([this.budgets.dailyUsage(key), this.licenses.subscriptionOf(account.id)]);
    return knowbe4Budget({ pacing: this.config.KNOWBE4_PACING, usage, seats: subscription?.numberOfSeats ?? null, now: Date.now() });
  }
}
