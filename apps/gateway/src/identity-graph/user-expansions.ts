import { Inject, Injectable } from '@nestjs/common';
import { IdentityGraphReadRepository, PageRow } from '@kb4/persistence';
import type { UserExpansion } from '../directory/directory-query.dto';

/** A Reporting id (a user read through by SCIM id before any sync saw it has none). */
const REPORTING_ID = /^[0-9]{1,18}$/;

/** What an expansion reads for a user the graph holds nothing about (or a user no sync has seen yet). */
const EMPTY: Record<UserExpansion, string> = {
  risk: 'null',
  training: '{"assigned":0,"not_started":0,"in_progress":0,"passed":0,"past_due":0}',
  phishing: 'null',
};

/** Adds `"name":value` members (values are JSON text) to a JSON object's text, without parsing it. */
export function withMembers(json: string, members: ReadonlyArray<readonly [string, string]>): string {
  if (members.length === 0) return json;
  const body = members.map(([name, value]) => `${JSON.stringify(name)}:${value}`).join(',');
  const open = json.trimEnd().slice(0, -1);
  return open.trimEnd().endsWith('{') ? `${open}${body}}` : `${open},${body}}`;
}

/**
 * `expand=risk,training,phishing` on user reads: for a whole page, one statement per expanded resource (keyed by
 * the users' Reporting ids), spliced into each user's JSON as `risk`, `training` and `phishing`.
 */
@Injectable()
export class UserExpansions {
  constructor(@Inject(IdentityGraphReadRepository) private readonly graph: IdentityGraphReadRepository) {}

  async apply<R extends Pick<PageRow, 'json' | 'remoteId'>>(accountId: string, rows: readonly R[], expansions: readonly UserExpansion[]): Promise<R[]> {
    if (expansions.length === 0 || rows.length === 0) return [...rows];
    const ids = [...new Set(rows.flatMap((row) => (row.remoteId && REPORTING_ID.test(row.remoteId) ? [row.remoteId] : [])))];
    const values = await Promise.all(expansions.map((expansion) => this.graph.expansionsFor(accountId, ids, expansion)));
    return rows.map((row) => ({
      ...row,
      json: withMembers(
        row.json,
        expansions.map((expansion, i) => [expansion, (row.remoteId ? values[i].get(row.remoteId) : undefined) ?? EMPTY[expansion]] as const),
      ),
    }));
  }
}
