import { ApiProperty } from '@nestjs/swagger';
import { DAILY_BASE_BUDGET, DAY_MS } from '@kb4/knowbe4';

/** KnowBe4's daily Reporting budget of an account as this gateway keeps it (shared with the poller, in Postgres). */
export class KnowBe4BudgetDto {
  @ApiProperty({ type: Number, nullable: true, example: 2050, description: "2,000 + the account's licensed seats (KnowBe4's documented daily limit); null when KNOWBE4_PACING is not `documented`" })
  daily_limit!: number | null;

  @ApiProperty({ example: 312, description: 'Reporting requests made in the current daily window (syncs, proxy and read-through alike)' })
  used_today!: number;

  @ApiProperty({ type: Number, nullable: true, example: 1738, description: 'What is left of the daily limit; null without one' })
  remaining_today!: number | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time', example: '2026-11-29T07:12:00.000Z', description: 'When the current window closes (a window opens with its first request); null when none is open' })
  resets_at!: string | null;
}

export interface BudgetInputs {
  pacing: 'documented' | 'seed' | 'off';
  /** The stored daily window, null when the key never asked KnowBe4 anything. */
  usage: { used: number; windowStartedAt: Date | null } | null;
  /** Licensed seats from the last sync (null: not read yet; the limit is then the base 2,000). */
  seats: number | null;
  now: number;
}

/** What is left of today's budget: a window past its day counts as unused, as the pacer treats it. */
export function knowbe4Budget({ pacing, usage, seats, now }: BudgetInputs): KnowBe4BudgetDto {
  const started = usage?.windowStartedAt?.getTime() ?? null;
  const open = started !== null && now < started + DAY_MS;
  const used = open ? (usage?.used ?? 0) : 0;
  const dailyLimit = pacing === 'documented' ? DAILY_BASE_BUDGET + Math.max(0, seats ?? 0) : null;
  return {
    daily_limit: dailyLimit,
    used_today: used,
    remaining_today: dailyLimit === null ? null : Math.max(0, dailyLimit - used),
    resets_at: open ? new Date(started + DAY_MS).toISOString() : null,
  };
}
