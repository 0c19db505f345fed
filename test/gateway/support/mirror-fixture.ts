import { Pool } from 'pg';
import type { KnowBe4Group, KnowBe4User } from '@kb4/knowbe4';
import { contentHash, toUnifiedGroup, toUnifiedUser } from '@kb4/mapping';

/** Rows the poller would write, built from KnowBe4 records with @kb4/mapping. */
export interface MirrorUserRow {
  remoteId: string | null;
  scimId: string | null;
  record: Record<string, unknown>;
  remoteData: Record<string, unknown>;
}

const BATCH = 2000;

/** Maps KnowBe4 users to unified rows and inserts them with multi-row INSERTs; returns their seqs in order. */
export async function seedUsers(pool: Pool, accountId: string, users: KnowBe4User[], groupNames = new Map<string, string>()): Promise<string[]> {
  const seqs: string[] = [];
  for (let start = 0; start < users.length; start += BATCH) {
    const batch = users.slice(start, start + BATCH);
    const unified = batch.map((raw) => toUnifiedUser(raw, { groupsById: groupNames }));
    const cols = {
      remote: unified.map((u) => u.id),
      guid: unified.map((u) => (u.remote_data.provisioning_guid as string | null | undefined) ?? null),
      email: unified.map((u) => u.username?.toLowerCase() ?? null),
      employee: unified.map((u) => u.external_id),
      status: unified.map((u) => u.status),
      first: unified.map((u) => u.first_name),
      last: unified.map((u) => u.last_name),
      department: unified.map((u) => u.department),
      record: unified.map(({ remote_data: _remote, ...record }) => JSON.stringify(record)),
      remoteData: unified.map((u) => JSON.stringify(u.remote_data)),
      hash: unified.map((u) => contentHash(u)),
    };
    const { rows } = await pool.query<{ seq: string }>(
      `INSERT INTO directory_users (account_id, remote_id, provisioning_guid, email_lower, employee_number, status, first_name, last_name, department, record, remote_data, content_hash)
       SELECT $1::uuid, r, g, e, n, s, f, l, d, rec::jsonb, rd::jsonb, h
       FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])
         AS t(r, g, e, n, s, f, l, d, rec, rd, h)
       RETURNING seq::text AS seq`,
      [accountId, cols.remote, cols.guid, cols.email, cols.employee, cols.status, cols.first, cols.last, cols.department, cols.record, cols.remoteData, cols.hash],
    );
    seqs.push(...rows.map((r) => r.seq));
  }
  return seqs;
}

export async function seedGroups(pool: Pool, accountId: string, groups: KnowBe4Group[]): Promise<void> {
  for (const raw of groups) {
    const { remote_data: remoteData, ...record } = toUnifiedGroup(raw);
    await pool.query(
      `INSERT INTO directory_groups (account_id, remote_id, name, record, remote_data, content_hash) VALUES ($1, $2, $3, $4, $5, $6)`,
      [accountId, record.id, record.name, JSON.stringify(record), JSON.stringify(remoteData), contentHash(record)],
    );
  }
}

/** One console group as the mirror holds it (record only, no remote_data), for specs that build a small mirror by hand. */
export async function seedConsoleGroup(db: { query(sql: string, parameters: unknown[]): Promise<unknown> }, accountId: string, remoteId: string, name: string): Promise<void> {
  await db.query(`INSERT INTO directory_groups (account_id, remote_id, name, record, content_hash) VALUES ($1, $2, $3, $4, 'h')`, [
    accountId,
    remoteId,
    name,
    JSON.stringify({ id: remoteId, name, type: 'console_group' }),
  ]);
}

/** Memberships from the users' `groups` arrays. */
export async function seedMemberships(pool: Pool, accountId: string, users: KnowBe4User[]): Promise<void> {
  const groupIds: string[] = [];
  const userIds: string[] = [];
  for (const user of users) {
    for (const group of (user.groups ?? []) as unknown[]) {
      if (typeof group === 'number') {
        groupIds.push(String(group));
        userIds.push(String(user.id));
      }
    }
  }
  for (let start = 0; start < groupIds.length; start += 5000) {
    await pool.query(
      `INSERT INTO directory_group_members (account_id, group_remote_id, user_remote_id)
       SELECT $1::uuid, g, u FROM unnest($2::bigint[], $3::bigint[]) AS t(g, u) ON CONFLICT DO NOTHING`,
      [accountId, groupIds.slice(start, start + 5000), userIds.slice(start, start + 5000)],
    );
  }
}

/** A user created through SCIM that no sync has seen: no Reporting id yet, addressable by its SCIM id. */
export async function seedScimOnlyUser(pool: Pool, accountId: string, scimId: string, email: string): Promise<void> {
  const record = { id: scimId, username: email, first_name: 'Scim', last_name: 'Only', status: 'active', emails: [{ email, type: 'work', is_primary: true }], groups: [] };
  await pool.query(
    `INSERT INTO directory_users (account_id, scim_id, email_lower, status, first_name, last_name, record, remote_data, content_hash) VALUES ($1, $2, $3, 'active', 'Scim', 'Only', $4, NULL, 'x')`,
    [accountId, scimId, email.toLowerCase(), JSON.stringify(record)],
  );
}

/** Synthetic KnowBe4 users (ids from `firstId`), for fixtures that need more users than a sandbox page walk is worth. */
export function syntheticUsers(count: number, firstId = 1_000_000, groups: number[] = []): KnowBe4User[] {
  const users: KnowBe4User[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    users.push({
      id,
      employee_number: String(i).padStart(6, '0'),
      first_name: `First${i % 997}`,
      last_name: `Last${i % 1009}`,
      job_title: 'Analyst',
      email: `user${id}@example.com`,
      phish_prone_percentage: (i % 100) / 4,
      phone_number: '+1 555 0100',
      extension: null,
      mobile_phone_number: null,
      location: 'London',
      division: 'R&D',
      manager_name: null,
      manager_email: null,
      provisioning_managed: false,
      provisioning_guid: null,
      groups: groups.length ? [groups[i % groups.length]] : [],
      current_risk_score: (i % 1000) / 10,
      aliases: [],
      joined_on: '2024-01-01T00:00:00.000Z',
      last_sign_in: null,
      status: i % 20 === 0 ? 'archived' : 'active',
      organization: 'Example Ltd',
      department: ['Engineering', 'Sales', 'Finance', 'Support'][i % 4],
      language: 'en-US',
      comment: null,
      employee_start_date: null,
      archived_at: i % 20 === 0 ? '2025-01-01T00:00:00.000Z' : null,
    });
  }
  return users;
}
