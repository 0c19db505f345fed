import type { RosterGroupRef } from '@kb4/mapping';
import type { RosterPlanRepository } from '@kb4/persistence';
import type { ValidRosterRow } from './roster-row-validation';

// names of unknown groups remembered so they are not looked up again (a hostile upload could name millions)
const REFUSED_NAMES_KEPT = 10_000;

/**
 * The groups an upload names, resolved against the mirror as rows arrive. A group is managed once any row names it;
 * `since` remembers the first line of the batch that named it first, so rows planned before then can be revisited.
 */
export class RosterGroupCatalog {
  readonly refs = new Map<string, RosterGroupRef>();
  private readonly since = new Map<string, number>();
  private readonly refused = new Set<string>();
  /** Some name is no console group of the account: the upload is refused (the errors are gathered from staging). */
  problem = false;

  constructor(private readonly staging: RosterPlanRepository, private readonly accountId: string) {}

  async resolve(rows: readonly ValidRosterRow[]): Promise<void> {
    const names = new Set<string>();
    for (const row of rows) {
      for (const name of row.groups) {
        const lower = name.toLowerCase();
        if (!this.refs.has(lower) && !this.refused.has(lower)) names.add(lower);
      }
    }
    if (names.size === 0) return;
    const found = await this.staging.groupsByName(this.accountId, [...names]);
    for (const name of names) {
      const group = found.get(name);
      const id = group?.remoteId ?? group?.scimId;
      if (!group || !id || group.type === 'smart_group') {
        this.problem = true;
        if (this.refused.size < REFUSED_NAMES_KEPT) this.refused.add(name);
        continue;
      }
      this.refs.set(name, { id, keyId: id, scimId: group.scimId, name: group.name });
      this.since.set(name, rows[0].line);
    }
  }

  /** Managed groups first named after `line`'s batch began, with the line their batch began at. */
  namedAfter(line: number): Array<{ name: string; since: number; ref: RosterGroupRef }> {
    return [...this.since].filter(([, since]) => since > line).map(([name, since]) => ({ name, since, ref: this.refs.get(name)! }));
  }
}
