import type { AttemptOutcome } from '@kb4/persistence';

export const RETRY_SCHEDULE_PATTERN = /^\s*\d+(\.\d+)?\s*[smh]?\s*(,\s*\d+(\.\d+)?\s*[smh]?\s*)*$/;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `5s,5m,30m,2h` → seconds to wait after the 1st, 2nd, … failed attempt. */
export function parseRetrySchedule(text: string): number[] {
  if (!RETRY_SCHEDULE_PATTERN.test(text)) throw new Error(`not a retry schedule: ${text}`);
  return text.split(',').map((part) => {
    const match = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(part.trim());
    if (!match) throw new Error(`not a duration: ${part}`);
    return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
  });
}

/** Any 2xx is delivered; 3xx (not followed), 4xx, 5xx and no answer at all are failures. */
export function isDelivered(status: number | null): boolean {
  return status !== null && status >= 200 && status < 300;
}

/**
 * What follows an attempt: `attemptsInCycle` counts it (1 for the first attempt of a delivery or a redelivery).
 * A failure waits the schedule's next step; once every step is spent the delivery is given up.
 */
export function afterAttempt(schedule: readonly number[], attemptsInCycle: number, status: number | null): AttemptOutcome {
  if (isDelivered(status)) return { kind: 'succeeded' };
  const wait = schedule[attemptsInCycle - 1];
  return wait === undefined ? { kind: 'given_up' } : { kind: 'retry', delaySeconds: wait };
}

/** Seconds from the first attempt until a delivery that keeps failing is given up. */
export function retryHorizonSeconds(schedule: readonly number[]): number {
  return schedule.reduce((sum, wait) => sum + wait, 0);
}
