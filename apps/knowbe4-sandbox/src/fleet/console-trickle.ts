import { createRng, type Rng } from '../store/prng';
import type { SandboxStore } from '../store/sandbox-store';
import { trickleChancePerTick, trickleEditSeed } from './fleet-plan';

export interface TrickleTenant {
  id: string;
  seed: number;
}

/**
 * A trickle of console edits across the fleet (an admin renaming a department here, archiving a leaver there):
 * every tick each tenant gets one seeded edit with the chance the rate asks for. Tenants not in memory only record
 * the edit; it is applied with its original time when they are next seeded.
 */
export class ConsoleTrickle {
  private timer?: NodeJS.Timeout;
  private readonly rng: Rng;
  private readonly editsApplied = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly store: SandboxStore,
    private readonly tenants: readonly TrickleTenant[],
    private readonly options: { seed: number; perTenantHour: number; timeScale: number; tickMs?: number },
  ) {
    this.rng = createRng(options.seed, 'trickle');
  }

  get editCount(): number {
    return this.total;
  }

  start(): void {
    const tickMs = this.options.tickMs ?? 1000;
    const chance = trickleChancePerTick(this.options.perTenantHour, this.options.timeScale, tickMs);
    if (chance <= 0) return;
    this.timer = setInterval(() => this.tick(chance), tickMs);
    this.timer.unref();
  }

  /** One tick: which tenants get an edit now. Exposed for tests. */
  tick(chance: number, at = Date.now()): number {
    let edits = 0;
    for (const tenant of this.tenants) {
      if (!this.rng.chance(chance)) continue;
      const n = this.editsApplied.get(tenant.id) ?? 0;
      this.editsApplied.set(tenant.id, n + 1);
      this.store.applyConsoleTrickle(tenant.id, { seed: trickleEditSeed(tenant.seed, n), count: 1, at });
      edits++;
    }
    this.total += edits;
    return edits;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
