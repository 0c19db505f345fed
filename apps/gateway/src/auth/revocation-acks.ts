/**
 * Which gateway replicas (by the backend pid of their listener session) acknowledged dropping a key, so a revoke can
 * answer only once every replica that was listening has dropped it.
 */
export class RevocationAcks {
  private readonly waiting = new Map<string, Set<(pid: number) => void>>();

  /** Starts collecting acknowledgements of this key hash; call before the change, so none is missed. */
  collect(keyHash: string): { until(pids: readonly number[], timeoutMs: number): Promise<boolean>; stop(): void } {
    const acked = new Set<number>();
    let check: () => void = () => undefined;
    const heard = (pid: number): void => {
      acked.add(pid);
      check();
    };
    const set = this.waiting.get(keyHash) ?? new Set();
    this.waiting.set(keyHash, set.add(heard));
    return {
      until: (pids, timeoutMs) =>
        new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), timeoutMs);
          check = () => {
            if (!pids.every((pid) => acked.has(pid))) return;
            clearTimeout(timer);
            resolve(true);
          };
          check();
        }),
      stop: () => {
        set.delete(heard);
        if (set.size === 0 && this.waiting.get(keyHash) === set) this.waiting.delete(keyHash);
      },
    };
  }

  heard(listenerPid: number, keyHash: string): void {
    for (const heard of this.waiting.get(keyHash) ?? []) heard(listenerPid);
  }
}
