import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { listenForFinishedOperations, OperationEntity, OperationFinishedListener, OperationRepository } from '@kb4/persistence';
import { GatewayConfig } from '../config/gateway.config';
import { isFinished } from './operation-view';

// A missed notification (reconnect) costs at most this much extra wait.
const RECHECK_MS = 1_000;

/**
 * `Prefer: wait=N`: one LISTEN session per gateway process on the channel the operations trigger notifies;
 * a waiting request wakes when its operation finishes, and re-reads the row at least every second anyway.
 */
@Injectable()
export class OperationWaiter implements OnApplicationShutdown {
  private session?: Promise<OperationFinishedListener>;
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(
    @Inject(OperationRepository) private readonly operations: OperationRepository,
    @Inject(GatewayConfig) private readonly config: GatewayConfig,
  ) {}

  /** The operation once finished, or as it is when `seconds` have passed. Null when not in this workspace. */
  async waitForFinish(workspaceId: string, id: string, seconds: number): Promise<OperationEntity | null> {
    const deadline = Date.now() + seconds * 1000;
    await this.listen().catch(() => undefined); // without LISTEN the re-check loop still works
    for (;;) {
      const wake = this.arm(id);
      const operation = await this.operations.findInWorkspace(workspaceId, id);
      const remaining = deadline - Date.now();
      if (!operation || isFinished(operation) || remaining <= 0) {
        wake.cancel();
        return operation;
      }
      await wake.wait(Math.min(RECHECK_MS, remaining));
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session) await (await session.catch(() => undefined))?.close();
  }

  private arm(id: string): { wait(ms: number): Promise<void>; cancel(): void } {
    let resolve: () => void = () => undefined;
    const fired = new Promise<void>((r) => (resolve = r));
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(resolve);
    const cancel = (): void => {
      set.delete(resolve);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
    return {
      wait: async (ms) => {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([fired, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
        clearTimeout(timer);
        cancel();
      },
      cancel,
    };
  }

  private listen(): Promise<OperationFinishedListener> {
    if (!this.session) {
      const listener = listenForFinishedOperations({
        databaseUrl: this.config.DATABASE_URL,
        applicationName: 'kb4-gateway:operation-waiter',
        onFinished: (id) => {
          for (const wake of this.waiters.get(id) ?? []) wake();
        },
        onLost: () => (this.session = undefined),
      });
      this.session = listener.ready.then(() => listener);
      this.session.catch(() => {
        this.session = undefined;
        void listener.close();
      });
    }
    return this.session;
  }
}
