import { pageFingerprint } from './record-hash';

/** The account's groups as the mirror holds them: user records show their names, membership events carry them. */
export class GroupDirectory {
  /** Digest of every group's id and name: user records depend on them, so it salts user page fingerprints. */
  readonly digest: string;

  constructor(
    readonly names: ReadonlyMap<string, string>,
    private readonly records: ReadonlyMap<string, Record<string, unknown>>,
  ) {
    this.digest = pageFingerprint([...names].sort(([a], [b]) => a.localeCompare(b)).map(([id, name]) => `${id}:${name}`).join('\u0001'));
  }

  static empty(): GroupDirectory {
    return new GroupDirectory(new Map(), new Map());
  }

  get size(): number {
    return this.names.size;
  }

  /** What of a user's groups feeds its unified record (their names), folded into its fingerprint. */
  namesOf(groups: unknown): string {
    if (!Array.isArray(groups) || groups.length === 0) return '';
    let names = '';
    for (const entry of groups as unknown[]) {
      const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : entry;
      names += `${this.names.get(String(id)) ?? ''}\u0001`;
    }
    return names;
  }

  /** The group record a membership event carries (a minimal one for a group the mirror does not hold). */
  recordOf(groupId: string): Record<string, unknown> {
    return this.records.get(groupId) ?? { id: groupId, name: this.names.get(groupId) ?? '', status: 'active' };
  }
}
