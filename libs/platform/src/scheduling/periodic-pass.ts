/**
 * A background pass that runs now and then again `intervalMs` after each pass ends (never two at once), can be woken
 * early, and is awaited on stop. The pass's own errors go to `onError`; the next pass runs at the interval regardless.
 * The timer never keeps a process alive.
 */
export class PeriodicPass {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(delayMs = 0): void {
    this.schedule(delayMs);
  }

  /** The next pass now rather than at the interval; nothing when one is running or the pass is stopped. */
  nudge(): void {
    if (this.stopped || this.running) return;
    clearTimeout(this.timer);
    this.schedule(0);
  }

  /** No pass starts after this; resolves once the running one (if any) has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass()
        .then(() => undefined, this.onError)
        .finally(() => {
          this.running = undefined;
          this.schedule(this.intervalMs);
        });
    }, delayMs);
    this.timer.unref();
  }
}
