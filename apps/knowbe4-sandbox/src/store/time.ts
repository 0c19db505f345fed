/** KnowBe4 datetimes: UTC ISO strings that always carry `.000Z`, so every stored time sits on a whole second. */
export const wholeSecond = (epochMs: number): number => Math.floor(epochMs / 1000) * 1000;
/** Rendered instants by whole second: a fleet's lists render the same few hundred thousand times on every page. */
const isoBySecond = new Map<number, string>();
const ISO_CACHE_ENTRIES = 200_000;
export const isoTime = (epochMs: number): string => {
  const second = wholeSecond(epochMs);
  let text = isoBySecond.get(second);
  if (text === undefined) {
    text = new Date(second).toISOString();
    if (isoBySecond.size >= ISO_CACHE_ENTRIES) isoBySecond.clear();
    isoBySecond.set(second, text);
  }
  return text;
};
export const isoTimeOrNull = (epochMs: number | null): string | null => (epochMs === null ? null : isoTime(epochMs));
export const isoDate = (epochMs: number): string => isoTime(epochMs).slice(0, 10);
/** The seeded world's "now": fixed so the same seed renders identical JSON on any day. */
export const SEED_NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
export const DAY_MS = 86_400_000;
let clockOverride: number | undefined;
/** The store's "now": the wall clock, or the recorded time of a console edit being replayed (see withStoreClock). */
export const nowWholeSecond = (): number => wholeSecond(clockOverride ?? Date.now());

/** Runs `fn` with the store's clock fixed at `epochMs`, so a replayed edit stamps the times it stamped first. */
export function withStoreClock<T>(epochMs: number, fn: () => T): T {
  const previous = clockOverride;
  clockOverride = epochMs;
  try {
    return fn();
  } finally {
    clockOverride = previous;
  }
}
