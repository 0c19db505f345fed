import type { Rng } from '../store/prng';
import { SEED_NOW, wholeSecond } from '../store/time';

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** A whole-second instant between `minDaysAgo` and `maxDaysAgo` before the seed's "now". */
export const pastTime = (rng: Rng, minDaysAgo: number, maxDaysAgo: number): number =>
  wholeSecond(SEED_NOW - rng.int(minDaysAgo * 86_400, maxDaysAgo * 86_400) * 1000);
