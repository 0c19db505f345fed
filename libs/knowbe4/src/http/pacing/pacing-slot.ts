import type { AcquireOptions, Pacer } from '../../pacing/pacer';

/** Every attempt, retries included, first waits for a slot of the account's rate windows (when paced at all). */
export async function waitForPacingSlot(
  pacer: Pacer | undefined,
  pacing: Omit<AcquireOptions, 'signal'>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const wait = pacer?.acquire({ ...pacing, signal });
  if (wait) await wait;
}
