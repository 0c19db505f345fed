import { createRng, type Rng } from '../store/prng';

/**
 * How long the emulator takes to answer a KnowBe4 request before its own work:
 * - `off`: as fast as this process can (tests, demos);
 * - `recorded`: KnowBe4's own server time, as real responses report it in `x-runtime`.
 */
export type ResponseTimeProfile = 'off' | 'recorded';

export const RESPONSE_TIME_PROFILES: readonly ResponseTimeProfile[] = ['off', 'recorded'];

export function isResponseTimeProfile(value: unknown): value is ResponseTimeProfile {
  return typeof value === 'string' && (RESPONSE_TIME_PROFILES as readonly string[]).includes(value);
}

/**
 * `x-runtime` (seconds) of real KnowBe4 responses recorded by an open-source integration's test recordings
 * (eu.api.knowbe4.com, 2021): /v1/account, /v1/phishing/campaigns and .../security_tests. Median ≈ 0.2 s.
 * Client-side times were 0.5-1.4 s (a new TLS connection per request); only the server's part is emulated.
 */
export const RECORDED_KNOWBE4_RUNTIMES_S: readonly number[] = [0.134741, 0.163642, 0.194122, 0.206968, 0.207354, 0.444758];

// A log-normal fitted to the recordings: median 200 ms, the 0.445 s sample near its 95th percentile.
const MEDIAN_MS = 200;
const SIGMA = Math.log(445 / MEDIAN_MS) / 1.645;
const MIN_MS = 100;
const MAX_MS = 1_500;

/** Standard normal from two uniforms (Box-Muller). */
function gaussian(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) never happens
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/** Milliseconds to wait before serving one request under the chosen profile (seeded: reproducible runs). */
export class ResponseTime {
  private rng: Rng;

  constructor(
    private current: ResponseTimeProfile = 'off',
    private readonly seed = 1,
  ) {
    this.rng = createRng(seed, 'response-time');
  }

  get profile(): ResponseTimeProfile {
    return this.current;
  }

  set(profile: ResponseTimeProfile): void {
    this.current = profile;
    this.rng = createRng(this.seed, 'response-time');
  }

  nextDelayMs(): number {
    if (this.current === 'off') return 0;
    const ms = MEDIAN_MS * Math.exp(SIGMA * gaussian(this.rng));
    return Math.min(MAX_MS, Math.max(MIN_MS, Math.round(ms)));
  }
}
