import type { GroupDirectory } from '../diff/group-directory';
import type { DiffContext } from '../diff/record-write';
import type { RunLedger } from '../run/run-ledger';
import type { SyncDependencies } from '../run/sync-dependencies';

const DEFAULT_MAX_RECORD_CHARS = 65_536;

/** What applying a page's diff to the mirror needs: the run's ledger, the repositories, the groups as loaded. */
export interface PageScope {
  ledger: RunLedger;
  deps: SyncDependencies;
  groups: () => GroupDirectory;
}

export function maxRecordChars(deps: SyncDependencies): number {
  return deps.settings.maxRecordChars ?? DEFAULT_MAX_RECORD_CHARS;
}

/** The pure diffs' view of the run, as of now. */
export function diffContext(scope: PageScope): DiffContext {
  return { ctx: scope.ledger.ctx, emit: scope.ledger.emitsDirectoryEvents, now: new Date().toISOString(), maxRecordChars: maxRecordChars(scope.deps) };
}
