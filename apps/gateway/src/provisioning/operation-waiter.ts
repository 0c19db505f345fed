import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { OPERATION_FINISHED_CHANNEL, OperationEntity, OperationRepository } from '@kb4/persistence';
import { Client } from 'pg';
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
  private session?: Promise<Client>;
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
    if (session) await (await session.catch(() => undefined))?.end().catch(() => undefined);
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

  private listen(): Promise<Client> {
    if (!this.session) {
      const client = new Client({ connectionString: this.config.DATABASE_URL, application_name: 'kb4-gateway:operation-waiter' });
      const reset = (): void => {
        this.session = undefined;
        void client.end().catch(() => undefined);
      };
      client.on('error', reset);
      client.on('notification', (message) => {
        for (const wake of this.waiters.get(message.payload ?? '') ?? []) wake();
      });
      this.session = client
        .connect()
        .then(() => client.query(`LISTEN ${OPERATION_FINISHED_CHANNEL}`))
        .then(() => client);
      this.session.catch(reset);
    }
    return this.session;
  }
}
