import { Inject, Injectable } from '@nestjs/common';
import { FleetStatusRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';
import { syncLag, SyncLagDto } from './sync-lag';

/** An account's sync lag against its cadence, read from the run records (no KnowBe4 request). */
@Injectable()
export class SyncLagService {
  constructor(
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
    @Inject(FleetStatusRepository) private readonly fleet: FleetStatusRepository,
  ) {}

  async of(accountId: string): Promise<SyncLagDto> {
    const lag = await this.fleet.syncLagOf(accountId, this.config.POLL_INTERVAL_SECONDS, this.config.TIME_SCALE);
    // the account was just read by the caller; a row gone in between reads as never synced
    return syncLag(lag ?? { accountId, lagSeconds: null, cadenceSeconds: this.config.POLL_INTERVAL_SECONDS / this.config.TIME_SCALE, waitingForBudget: false }, this.config.TIME_SCALE);
  }
}
