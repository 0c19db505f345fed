import type { UserFields, UserRecord } from '../store/records';
import { createRng, type Rng } from '../store/prng';
import { USER_FIELD_NAMES, type TenantStore } from '../store/tenant-store';
import { DEPARTMENTS, DIVISIONS, FIRST_NAMES, LAST_NAMES, LOCATIONS } from '../seed/pools';

export class ConsoleEditError extends Error {}

const DATE_FIELDS = new Set<keyof UserFields>(['employee_start_date']);

/**
 * Turns a body with Reporting field names into store fields, as an admin editing a user in the console would.
 * Unknown or read-only fields are rejected so tests notice typos.
 */
export function consoleUserFields(body: Record<string, unknown>, requireEmail: boolean): { fields: Partial<UserFields>; status?: 'active' | 'archived' } {
  const fields: Partial<UserFields> = {};
  let status: 'active' | 'archived' | undefined;
  for (const [key, value] of Object.entries(body)) {
    if (key === 'status') {
      if (value !== 'active' && value !== 'archived') throw new ConsoleEditError('status must be active or archived');
      status = value;
      continue;
    }
    if (!(USER_FIELD_NAMES as readonly string[]).includes(key)) throw new ConsoleEditError(`unknown or read-only user field: ${key}`);
    const name = key as keyof UserFields;
    if (DATE_FIELDS.has(name)) {
      const ms = value === null ? null : typeof value === 'string' ? Date.parse(value) : Number.NaN;
      if (ms !== null && Number.isNaN(ms)) throw new ConsoleEditError(`${key} must be an ISO date`);
      (fields as Record<string, unknown>)[name] = ms === null ? null : Math.floor(ms / 1000) * 1000;
      continue;
    }
    if (value !== null && typeof value !== 'string') throw new ConsoleEditError(`${key} must be a string or null`);
    if (name === 'email' && (typeof value !== 'string' || !value.includes('@'))) throw new ConsoleEditError('email must be an address');
    (fields as Record<string, unknown>)[name] = value;
  }
  if (requireEmail && typeof fields.email !== 'string') throw new ConsoleEditError('email is required');
  return { fields, status };
}

export interface ConsoleChange {
  kind: 'field_edit' | 'archive' | 'reactivate' | 'create' | 'delete' | 'member_add' | 'member_remove' | 'risk_change';
  user_id: number;
  group_id?: number;
  changes?: Record<string, { from: unknown; to: unknown }>;
}

const KINDS: ConsoleChange['kind'][] = ['field_edit', 'field_edit', 'field_edit', 'archive', 'reactivate', 'create', 'delete', 'member_add', 'member_remove', 'risk_change', 'risk_change'];

interface EditContext {
  store: TenantStore;
  rng: Rng;
  anyUser: (filter?: (u: UserRecord) => boolean) => UserRecord | undefined;
}

/** Applies `count` seeded console edits (the poller's diet); the same seed on the same data repeats them exactly. */
export function applyConsoleMutations(store: TenantStore, seed: number, count: number): ConsoleChange[] {
  const rng = createRng(seed, `mutations:${store.options.seed}`);
  const context: EditContext = {
    store,
    rng,
    anyUser: (filter) => {
      const pool = filter ? store.users.filter(filter) : store.users;
      return pool.length ? rng.pick(pool) : undefined;
    },
  };
  const changes: ConsoleChange[] = [];
  for (let i = 0; i < count; i++) {
    const change = applyEdit(context, rng.pick(KINDS));
    if (change) changes.push(change);
  }
  return changes;
}

/** One console edit of the kind drawn; undefined when there was nothing to edit (nothing drawn after that). */
function applyEdit(context: EditContext, kind: ConsoleChange['kind']): ConsoleChange | undefined {
  switch (kind) {
    case 'create':
      return createUser(context);
    case 'field_edit':
      return editField(context);
    case 'archive':
    case 'reactivate':
      return changeStatus(context, kind);
    case 'delete':
      return deleteUser(context);
    case 'risk_change':
      return changeRisk(context);
    case 'member_add':
    case 'member_remove':
      return changeMembership(context, kind);
  }
}

function createUser({ store, rng }: EditContext): ConsoleChange {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const domain = store.account.domains[0];
  let email = `${first}.${last}.${rng.int(100, 99_999)}@${domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, '');
  while (store.findUserByEmail(email)) email = email.replace('@', `${rng.int(0, 9)}@`);
  const department = rng.pick(Object.keys(DEPARTMENTS));
  const user = store.createUser(
    { email, first_name: first, last_name: last, department, job_title: rng.pick(DEPARTMENTS[department]), location: rng.pick(LOCATIONS), employee_number: String(rng.int(1, 99_999)).padStart(6, '0') },
    { managed: false },
  );
  return { kind: 'create', user_id: user.id };
}

function editField({ store, rng, anyUser }: EditContext): ConsoleChange | undefined {
  const user = anyUser();
  if (!user) return undefined;
  const options: [keyof UserFields, () => string][] = [
    ['job_title', () => rng.pick(Object.values(DEPARTMENTS).flat())],
    ['department', () => rng.pick(Object.keys(DEPARTMENTS))],
    ['division', () => rng.pick(DIVISIONS)],
    ['location', () => rng.pick(LOCATIONS)],
    ['last_name', () => rng.pick(LAST_NAMES)],
    ['phone_number', () => `+1 555-${rng.int(100, 999)}-${rng.int(1000, 9999)}`],
  ];
  const [field, value] = rng.pick(options);
  const from = user[field];
  // a console edit changes something: draw again when the pool hands back the current value
  let to = value();
  for (let tries = 0; to === from && tries < 10; tries++) to = value();
  if (to === from) return undefined;
  store.updateUser(user, { [field]: to });
  return { kind: 'field_edit', user_id: user.id, changes: { [field]: { from, to } } };
}

function changeStatus({ store, anyUser }: EditContext, kind: 'archive' | 'reactivate'): ConsoleChange | undefined {
  const user = anyUser((u) => u.status === (kind === 'archive' ? 'active' : 'archived'));
  if (!user) return undefined;
  store.setUserStatus(user, kind === 'archive' ? 'archived' : 'active');
  return { kind, user_id: user.id, changes: { status: { from: kind === 'archive' ? 'active' : 'archived', to: user.status } } };
}

function deleteUser({ store, anyUser }: EditContext): ConsoleChange | undefined {
  const user = anyUser();
  if (!user) return undefined;
  store.deleteUser(user);
  return { kind: 'delete', user_id: user.id };
}

function changeRisk({ store, rng, anyUser }: EditContext): ConsoleChange | undefined {
  const user = anyUser();
  if (!user) return undefined;
  const to = { phish_prone_percentage: Math.round(rng.next() * 600) / 10, current_risk_score: Math.round(rng.next() * 900) / 10 };
  const from = { phish_prone_percentage: user.phish_prone_percentage, current_risk_score: user.current_risk_score };
  store.setUserRisk(user, to);
  return {
    kind: 'risk_change',
    user_id: user.id,
    changes: {
      phish_prone_percentage: { from: from.phish_prone_percentage, to: to.phish_prone_percentage },
      current_risk_score: { from: from.current_risk_score, to: to.current_risk_score },
    },
  };
}

function changeMembership({ store, rng, anyUser }: EditContext, kind: 'member_add' | 'member_remove'): ConsoleChange | undefined {
  const consoleGroups = store.groups.filter((g) => g.group_type === 'console_group');
  if (!consoleGroups.length) return undefined;
  const group = rng.pick(consoleGroups);
  const user = kind === 'member_add' ? anyUser((u) => !group.memberIds.has(u.id)) : anyUser((u) => group.memberIds.has(u.id));
  if (!user) return undefined;
  if (kind === 'member_add') store.addMember(group, user);
  else store.removeMember(group, user);
  return { kind, user_id: user.id, group_id: group.id };
}
