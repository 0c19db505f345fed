import { createRng, type Rng } from '../store/prng';

export interface FaultRule {
  /** Matched against the path after the region prefix, e.g. `/v1/users` or `/scim/v2/Users`. */
  path_prefix?: string;
  method?: string;
  tenant_id?: string;
  error_rate?: number;
  statuses?: number[];
  latency_ms?: number;
  drop_rate?: number;
  /** Apply to the next N matching requests only. */
  times?: number;
}

export interface FaultConfig {
  rules: FaultRule[];
  seed?: number;
}

export type FaultAction =
  | { kind: 'pass'; latencyMs: number }
  | { kind: 'error'; status: number; latencyMs: number }
  | { kind: 'drop'; latencyMs: number };

const DEFAULT_STATUSES = [500, 502, 503];

/** Validates an admin fault body; returns an error message or the normalized config. */
export function parseFaultConfig(body: unknown): FaultConfig | string {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { rules?: unknown }).rules))
    return 'body must be {"rules": [...]}';
  const { rules, seed } = body as { rules: unknown[]; seed?: unknown };
  if (seed !== undefined && typeof seed !== 'number') return 'seed must be a number';
  const parsed: FaultRule[] = [];
  for (const raw of rules) {
    if (typeof raw !== 'object' || raw === null) return 'each rule must be an object';
    const r = raw as Record<string, unknown>;
    const rate = (name: string): number | undefined | string => {
      const v = r[name];
      if (v === undefined) return undefined;
      return typeof v === 'number' && v >= 0 && v <= 1 ? v : `${name} must be a number in 0..1`;
    };
    const errorRate = rate('error_rate');
    const dropRate = rate('drop_rate');
    if (typeof errorRate === 'string') return errorRate;
    if (typeof dropRate === 'string') return dropRate;
    if (r.statuses !== undefined && (!Array.isArray(r.statuses) || !r.statuses.every((s) => Number.isInteger(s) && (s as number) >= 400 && (s as number) <= 599)))
      return 'statuses must be HTTP error codes';
    for (const name of ['latency_ms', 'times'] as const)
      if (r[name] !== undefined && (typeof r[name] !== 'number' || (r[name]) < 0)) return `${name} must be a non-negative number`;
    for (const name of ['path_prefix', 'method', 'tenant_id'] as const)
      if (r[name] !== undefined && typeof r[name] !== 'string') return `${name} must be a string`;
    parsed.push({
      path_prefix: r.path_prefix as string | undefined,
      method: (r.method as string | undefined)?.toUpperCase(),
      tenant_id: r.tenant_id as string | undefined,
      // A rule that names no effect means "fail every matching request".
      error_rate: errorRate ?? (dropRate === undefined && r.latency_ms === undefined ? 1 : undefined),
      statuses: r.statuses as number[] | undefined,
      latency_ms: r.latency_ms as number | undefined,
      drop_rate: dropRate,
      times: r.times as number | undefined,
    });
  }
  return { rules: parsed, seed: seed };
}

/** Decides, per KnowBe4-surface request, whether to delay, fail or drop it. */
export class FaultInjector {
  private config: FaultConfig = { rules: [] };
  private remaining: (number | undefined)[] = [];
  private rng: Rng | undefined;

  set(config: FaultConfig): void {
    this.config = config;
    this.remaining = config.rules.map((r) => r.times);
    this.rng = config.seed === undefined ? undefined : createRng(config.seed, 'faults');
  }

  clear(): void {
    this.set({ rules: [] });
  }

  get(): FaultConfig & { remaining: (number | undefined)[] } {
    return { ...this.config, remaining: [...this.remaining] };
  }

  decide(method: string, path: string, tenantId: string | undefined): FaultAction {
    const random = (): number => (this.rng ? this.rng.next() : Math.random());
    let latencyMs = 0;
    for (let i = 0; i < this.config.rules.length; i++) {
      const rule = this.config.rules[i];
      if (rule.path_prefix !== undefined && !path.startsWith(rule.path_prefix)) continue;
      if (rule.method !== undefined && rule.method !== method.toUpperCase()) continue;
      if (rule.tenant_id !== undefined && rule.tenant_id !== tenantId) continue;
      const left = this.remaining[i];
      if (left !== undefined) {
        if (left <= 0) continue;
        this.remaining[i] = left - 1;
      }
      latencyMs += rule.latency_ms ?? 0;
      if (rule.drop_rate !== undefined && random() < rule.drop_rate) return { kind: 'drop', latencyMs };
      if (rule.error_rate !== undefined && random() < rule.error_rate) {
        const statuses = rule.statuses?.length ? rule.statuses : DEFAULT_STATUSES;
        return { kind: 'error', status: statuses[Math.floor(random() * statuses.length)], latencyMs };
      }
    }
    return { kind: 'pass', latencyMs };
  }
}
