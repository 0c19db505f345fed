import type { LiveChange } from './live-change';

export interface LiveSubscriber {
  deliver(change: LiveChange): void;
  /** Ends the subscriber's stream (the gateway is stopping: an open stream would hold the HTTP server open). */
  close(): void;
}

const WORKSPACE_CACHE_MS = 5 * 60_000;

/**
 * Who hears what: the streams of each workspace, and each change sent only to the workspace owning its account
 * (looked up once and remembered for a few minutes; an account of no workspace reaches no one).
 */
export class LiveFanout {
  private readonly subscribers = new Map<string, Set<LiveSubscriber>>();
  private readonly owners = new Map<string, { workspaceId: string | null; until: number }>();

  constructor(
    private readonly ownerOf: (accountId: string) => Promise<string | null>,
    private readonly now: () => number = Date.now,
  ) {}

  add(workspaceId: string, subscriber: LiveSubscriber): () => void {
    let set = this.subscribers.get(workspaceId);
    if (!set) this.subscribers.set(workspaceId, (set = new Set()));
    set.add(subscriber);
    return () => {
      set.delete(subscriber);
      if (set.size === 0 && this.subscribers.get(workspaceId) === set) this.subscribers.delete(workspaceId);
    };
  }

  get size(): number {
    let count = 0;
    for (const set of this.subscribers.values()) count += set.size;
    return count;
  }

  async deliver(change: LiveChange): Promise<void> {
    if (this.subscribers.size === 0) return;
    const workspaceId = await this.workspaceOf(change.integrated_account_id);
    for (const subscriber of workspaceId ? [...(this.subscribers.get(workspaceId) ?? [])] : []) subscriber.deliver(change);
  }

  closeAll(): void {
    for (const set of this.subscribers.values()) for (const subscriber of set) subscriber.close();
    this.subscribers.clear();
  }

  private async workspaceOf(accountId: string): Promise<string | null> {
    const cached = this.owners.get(accountId);
    if (cached && cached.until > this.now()) return cached.workspaceId;
    const workspaceId = await this.ownerOf(accountId).catch(() => null);
    if (this.owners.size >= 10_000) this.owners.clear();
    this.owners.set(accountId, { workspaceId, until: this.now() + WORKSPACE_CACHE_MS });
    return workspaceId;
  }
}
