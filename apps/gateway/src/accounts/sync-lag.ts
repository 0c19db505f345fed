import { ApiProperty } from '@nestjs/swagger';
import type { AccountSyncLag } from '@kb4/persistence';

/** How far behind its cadence an account's syncs are (issue 16 point 5). */
export class SyncLagDto {
  @ApiProperty({ example: 900, description: "The account's cadence in seconds: its poll_interval_seconds, else the default (POLL_INTERVAL_SECONDS)" })
  cadence_seconds!: number;

  @ApiProperty({ type: Number, nullable: true, example: 412, description: 'Seconds since the last complete sync; null before the first' })
  lag_seconds!: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 0.46, description: 'lag_seconds ÷ cadence_seconds; above 1 the account is overdue' })
  lag_ratio!: number | null;

  @ApiProperty({ example: false, description: 'Longer since the last complete sync than the cadence (or never synced)' })
  overdue!: boolean;

  @ApiProperty({ example: false, description: 'A run of the account is parked until its daily KnowBe4 budget reopens' })
  waiting_for_budget!: boolean;
}

/** The lag as the API shows it; `timeScale` (fleet benchmarks) only compresses the cadence the lag is compared with. */
export function syncLag(lag: AccountSyncLag, timeScale: number): SyncLagDto {
  const ratio = lag.lagSeconds === null ? null : Math.round((lag.lagSeconds / lag.cadenceSeconds) * 100) / 100;
  return {
    cadence_seconds: Math.round(lag.cadenceSeconds * timeScale),
    lag_seconds: lag.lagSeconds === null ? null : Math.round(lag.lagSeconds * timeScale),
    lag_ratio: ratio,
    overdue: ratio === null || ratio > 1,
    waiting_for_budget: lag.waitingForBudget,
  };
}
