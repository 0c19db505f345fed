/** The message was not finished because the process is stopping; it stays uncommitted for redelivery. */
export class ShutdownInterruption extends Error {
  constructor() {
    super('stopped before the command finished; it will be redelivered');
    this.name = 'ShutdownInterruption';
  }
}

/** Waits `ms`, or rejects with ShutdownInterruption as soon as `signal` aborts (the process is stopping). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ShutdownInterruption());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new ShutdownInterruption());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
