import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';

/** Sort keys of the unified lists; every one is a keyset `(key, seq)` with an index behind it. */
export type UserSortField = 'seq' | 'first_name' | 'last_name' | 'email' | 'updated_at';
export type GroupSortField = 'seq' | 'name' | 'updated_at';

export interface TimeRange {
  gte?: string;
  gt?: string;
  lt?: string;
  lte?: string;
}

export interface UserFilters {
  status?: 'active' | 'inactive';
  email?: string;
  firstName?: string;
  lastName?: string;
  department?: string;
  /** KnowBe4 employee_number (unified `external_id`), exact. */
  externalId?: string;
  /** Reporting id of a group the user must belong to. */
  groupRemoteId?: string;
  updatedAt?: TimeRange;
}

export interface GroupFilters {
  name?: string;
  /** Reporting id of a user the group must contain. */
  memberRemoteId?: string;
  updatedAt?: TimeRange;
}

/** Where a page starts: strictly after (`next`) or strictly before (`prev`) this position of the sort order. */
export interface KeysetPosition {
  direction: 'next' | 'prev';
  seq: string;
  /** The sort key of the row at the position (absent when sorting by seq). */
  value?: string;
}

export interface PageRequest<TSort extends string> {
  accountId: string;
  sort: { field: TSort; descending: boolean };
  position?: KeysetPosition;
  limit: number;
  includeRemoteData: boolean;
  /** Top-level fields removed from each record (Truto's `truto_exclude_fields[]`). */
  excludeFields: string[];
}

/** One record of a page: its JSON text as Postgres built it, and its keyset position. */
export interface PageRow {
  seq: string;
  sortValue: string | null;
  json: string;
  /** Reporting id of the user or group (null: created through SCIM, not yet synced); what `expand=` joins on. */
  remoteId?: string | null;
}

export interface Page {
  /** In sort order. */
  rows: PageRow[];
  /** Whether more rows exist beyond the page in the direction that was read. */
  hasMore: boolean;
}

interface TableSpec {
  table: string;
  sortExpressions: Record<string, string>;
}

const ISO_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/**
 * Text sorts use the first SORT_PREFIX characters (equal prefixes then go by seq): an index row has a size limit
 * (2,704 bytes), a name KnowBe4 holds does not, and the cursor carries the sort value. Migration 1764310000000.
 */
const SORT_PREFIX = 200;

const USERS: TableSpec = {
  table: 'directory_users',
  sortExpressions: {
    seq: 't.seq',
    first_name: `left(coalesce(t.first_name, ''), ${SORT_PREFIX})`,
    last_name: `left(coalesce(t.last_name, ''), ${SORT_PREFIX})`,
    email: `left(coalesce(t.email_lower, ''), ${SORT_PREFIX})`,
    updated_at: 't.updated_at',
  },
};

const GROUPS: TableSpec = {
  table: 'directory_groups',
  sortExpressions: { seq: 't.seq', name: `left(t.name, ${SORT_PREFIX})`, updated_at: 't.updated_at' },
};

// The record as served: the stored unified record with the mirror's identity and modification time.
function recordExpression(includeRemoteData: boolean): string {
  const identity = `'id', coalesce(t.remote_id::text, t.scim_id), 'updated_at', to_char(t.updated_at AT TIME ZONE 'UTC', ${ISO_MS})`;
  const remote = includeRemoteData ? `, 'remote_data', coalesce(t.remote_data, '{}'::jsonb)` : '';
  return `(t.record || jsonb_build_object(${identity}${remote}))`;
}

/** A parameterised statement whose text depends only on the query's shape, so it can be prepared once per connection. */
class Statement {
  readonly values: unknown[] = [];
  readonly where: string[] = [];

  param(value: unknown, cast = ''): string {
    this.values.push(value);
    return `$${this.values.length}${cast}`;
  }
}

function addTimeRange(statement: Statement, column: string, range: TimeRange | undefined): void {
  if (!range) return;
  const ops: Array<[keyof TimeRange, string]> = [['gte', '>='], ['gt', '>'], ['lt', '<'], ['lte', '<=']];
  for (const [key, op] of ops) {
    const value = range[key];
    if (value !== undefined) statement.where.push(`${column} ${op} ${statement.param(value, '::timestamptz')}`);
  }
}

/**
 * Reads the directory mirror for the unified API: keyset pages on `(sort key, seq)` — `seq` never changes, so a
 * walk never repeats or skips a row while the poller inserts, updates and archives — with the JSON of every
 * record built by Postgres and returned as text (no parse/serialize round trip in Node), over named prepared
 * statements. Every query is scoped to one account; the caller checks the account belongs to the workspace.
 */
export class DirectoryReadRepository {
  private readonly pool: Pool;

  constructor(source: DataSource | Pool) {
    // TypeORM's postgres driver keeps its pg Pool as `master`
    this.pool = 'driver' in source ? (source.driver as unknown as { master: Pool }).master : source;
  }

  listUsers(request: PageRequest<UserSortField>, filters: UserFilters): Promise<Page> {
    const statement = new Statement();
    statement.where.push(`t.account_id = ${statement.param(request.accountId, '::uuid')}`);
    if (filters.status) statement.where.push(`t.status = ${statement.param(filters.status)}`);
    if (filters.email !== undefined) statement.where.push(`t.email_lower = lower(${statement.param(filters.email)})`);
    if (filters.externalId !== undefined) statement.where.push(`t.employee_number = ${statement.param(filters.externalId)}`);
    if (filters.firstName !== undefined) statement.where.push(`t.first_name = ${statement.param(filters.firstName)}`);
    if (filters.lastName !== undefined) statement.where.push(`t.last_name = ${statement.param(filters.lastName)}`);
    if (filters.department !== undefined) {
      // the index holds the prefix (see SORT_PREFIX); the full comparison decides
      const department = statement.param(filters.department);
      statement.where.push(`left(t.department, ${SORT_PREFIX}) = left(${department}, ${SORT_PREFIX}) AND t.department = ${department}`);
    }
    if (filters.groupRemoteId !== undefined) {
      statement.where.push(
        `EXISTS (SELECT 1 FROM directory_group_members m WHERE m.account_id = t.account_id AND m.group_remote_id = ${statement.param(filters.groupRemoteId, '::bigint')} AND m.user_remote_id = t.remote_id)`,
      );
    }
    addTimeRange(statement, 't.updated_at', filters.updatedAt);
    return this.page(USERS, statement, request);
  }

  listGroups(request: PageRequest<GroupSortField>, filters: GroupFilters): Promise<Page> {
    const statement = new Statement();
    statement.where.push(`t.account_id = ${statement.param(request.accountId, '::uuid')}`);
    if (filters.name !== undefined) statement.where.push(`t.name = ${statement.param(filters.name)}`);
    if (filters.memberRemoteId !== undefined) {
      statement.where.push(
        `EXISTS (SELECT 1 FROM directory_group_members m WHERE m.account_id = t.account_id AND m.user_remote_id = ${statement.param(filters.memberRemoteId, '::bigint')} AND m.group_remote_id = t.remote_id)`,
      );
    }
    addTimeRange(statement, 't.updated_at', filters.updatedAt);
    return this.page(GROUPS, statement, request);
  }

  /** One user by unified id (Reporting id) or SCIM id, as served JSON. */
  async findUser(accountId: string, id: string, options: { includeRemoteData: boolean; excludeFields: string[] }): Promise<{ json: string; remoteId: string | null } | null> {
    return this.findOne(USERS, accountId, id, options);
  }

  async findGroup(accountId: string, id: string, options: { includeRemoteData: boolean; excludeFields: string[] }): Promise<{ json: string; remoteId: string | null } | null> {
    return this.findOne(GROUPS, accountId, id, options);
  }

  /** Reporting id of a group addressed by its unified or SCIM id; `undefined` when the mirror has no such group. */
  async groupRemoteIdOf(accountId: string, id: string): Promise<string | null | undefined> {
    const { text, values } = identityQuery(GROUPS, accountId, id, 't.remote_id::text AS remote_id');
    const { rows } = await this.pool.query<{ remote_id: string | null }>({ name: statementName(text), text, values });
    return rows.length ? rows[0].remote_id : undefined;
  }

  /** Reporting id of a user addressed by its unified or SCIM id; `undefined` when the mirror has no such user. */
  async userRemoteIdOf(accountId: string, id: string): Promise<string | null | undefined> {
    const { text, values } = identityQuery(USERS, accountId, id, 't.remote_id::text AS remote_id');
    const { rows } = await this.pool.query<{ remote_id: string | null }>({ name: statementName(text), text, values });
    return rows.length ? rows[0].remote_id : undefined;
  }

  /** Group names by Reporting id, for records read through from KnowBe4. */
  async groupNames(accountId: string, remoteIds: string[]): Promise<Map<string, string>> {
    if (remoteIds.length === 0) return new Map();
    const text = 'SELECT remote_id::text AS id, name FROM directory_groups WHERE account_id = $1::uuid AND remote_id = ANY($2::bigint[])';
    const { rows } = await this.pool.query<{ id: string; name: string }>({ name: statementName(text), text, values: [accountId, remoteIds] });
    return new Map(rows.map((row) => [row.id, row.name]));
  }

  private async findOne(
    spec: TableSpec,
    accountId: string,
    id: string,
    options: { includeRemoteData: boolean; excludeFields: string[] },
  ): Promise<{ json: string; remoteId: string | null } | null> {
    const select = `(${recordExpression(options.includeRemoteData)} - $4::text[])::text AS json, t.remote_id::text AS remote_id`;
    const { text, values } = identityQuery(spec, accountId, id, select);
    const { rows } = await this.pool.query<{ json: string; remote_id: string | null }>({
      name: statementName(text),
      text,
      values: [...values, options.excludeFields],
    });
    return rows.length ? { json: rows[0].json, remoteId: rows[0].remote_id } : null;
  }

  private async page(spec: TableSpec, statement: Statement, request: PageRequest<string>): Promise<Page> {
    const sortExpression = spec.sortExpressions[request.sort.field];
    if (!sortExpression) throw new TypeError(`unsupported sort field: ${request.sort.field}`);
    const bySeq = request.sort.field === 'seq';
    const backwards = request.position?.direction === 'prev';
    // reading backwards flips the order; the rows are reversed again below
    const descending = request.sort.descending !== backwards;
    const order = descending ? 'DESC' : 'ASC';
    const position = request.position;
    if (position) {
      const op = descending ? '<' : '>';
      const seq = statement.param(position.seq, '::bigint');
      if (bySeq) {
        statement.where.push(`t.seq ${op} ${seq}`);
      } else {
        const cast = request.sort.field === 'updated_at' ? '::timestamptz' : '::text';
        statement.where.push(`(${sortExpression}, t.seq) ${op} (${statement.param(position.value ?? '', cast)}, ${seq})`);
      }
    }
    const exclude = statement.param(request.excludeFields, '::text[]');
    const limit = statement.param(request.limit + 1, '::int');
    const sortValue = bySeq ? 'NULL::text' : request.sort.field === 'updated_at' ? `t.updated_at::text` : `${sortExpression}`;
    const orderBy = bySeq ? `t.seq ${order}` : `${sortExpression} ${order}, t.seq ${order}`;
    const text =
      `SELECT t.seq::text AS seq, ${sortValue} AS sort_value, (${recordExpression(request.includeRemoteData)} - ${exclude})::text AS json, t.remote_id::text AS remote_id ` +
      `FROM ${spec.table} t WHERE ${statement.where.join(' AND ')} ORDER BY ${orderBy} LIMIT ${limit}`;
    const { rows } = await this.pool.query<{ seq: string; sort_value: string | null; json: string; remote_id: string | null }>({
      name: statementName(text),
      text,
      values: statement.values,
    });
    const hasMore = rows.length > request.limit;
    const pageRows = (hasMore ? rows.slice(0, request.limit) : rows).map((row) => ({ seq: row.seq, sortValue: row.sort_value, json: row.json, remoteId: row.remote_id }));
    if (backwards) pageRows.reverse();
    return { rows: pageRows, hasMore };
  }
}

const NUMERIC_ID = /^[0-9]{1,18}$/;

// A numeric id is a Reporting id (or, improbably, a SCIM id); anything else can only be a SCIM id. Params $1–$3.
function identityQuery(spec: TableSpec, accountId: string, id: string, select: string): { text: string; values: unknown[] } {
  return {
    text: `SELECT ${select} FROM ${spec.table} t WHERE t.account_id = $1::uuid AND (t.remote_id = $2::bigint OR t.scim_id = $3::text) ORDER BY t.remote_id IS NULL LIMIT 1`,
    values: [accountId, NUMERIC_ID.test(id) ? id : null, id],
  };
}

function statementName(text: string): string {
  return `dr_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
}
