/**
 * Turns many "rows were just written" calls into one wake-up per `lingerMs`: the first call of a quiet period
 * wakes at once (no added latency when idle), calls during the next `lingerMs` fold into one trailing wake, so
 * a busy relay publishes batches instead of one query, one send and one update per command.
 */
export function coalescedNudge(wake: () => void, lingerMs: number): { nudge: () => void; cancel: () => void } {
  let timer: NodeJS.Timeout | undefined;
  let pending = false;
  const fire = (): void => {
    if (!pending) {
      timer = undefined;
      return;
    }
    pending = false;
    wake();
    timer = setTimeout(fire, lingerMs);
    timer.unref();
  };
  return {
    nudge: () => {
      pending = true;
      if (timer === undefined) fire();
    },
    cancel: () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      pending = false;
    },
  };
}
