import type { UnifiedUserWrite } from '@kb4/contracts';
import { canonicalJson } from '../diff/canonical-json';
import type { FieldChange } from '../diff/diff-records';
import { primaryEmailOf } from '../scim/user-scim-mapping';

/** One person of a roster: the unified write body and the names of the groups the person should be in. */
export interface RosterRow {
  /** Where the row was in the upload (CSV/NDJSON: physical line; JSON: 1-based position in `users`). */
  line: number;
  user: UnifiedUserWrite;
  groups: string[];
}

/** A mirror user as the planner needs it: the ids a write addresses and the unified record to compare against. */
export interface RosterMirrorUser {
  id: string;
  userName: string;
  scimId: string | null;
  status: 'active' | 'inactive';
  record: Readonly<Record<string, unknown>>;
}

/** A console group a roster names, resolved against the mirror. */
export interface RosterGroupRef {
  id: string;
  keyId: string;
  scimId: string | null;
  name: string;
}

export interface RosterUserTarget {
  id: string;
  userName: string;
  scimId: string | null;
}

export type RosterChange =
  | { action: 'create'; line: number; email: string; user: UnifiedUserWrite; groups: RosterGroupRef[] }
  | { action: 'update' | 'reactivate'; line: number; email: string; target: RosterUserTarget; changes: FieldChange[]; write: UnifiedUserWrite }
  | { action: 'archive'; line: null; email: string; target: RosterUserTarget }
  | { action: 'add_member' | 'remove_member'; line: number; email: string; target: RosterUserTarget; group: RosterGroupRef };

export type RosterAction = RosterChange['action'];
export const ROSTER_ACTIONS: readonly RosterAction[] = ['create', 'update', 'archive', 'reactivate', 'add_member', 'remove_member'];
export type RosterCounts = Record<RosterAction, number>;

export function emptyRosterCounts(): RosterCounts {
  return { create: 0, update: 0, archive: 0, reactivate: 0, add_member: 0, remove_member: 0 };
}

/** What the planner knows besides the two users: the groups the roster manages (lower-cased names) and their refs. */
export interface RosterPlanContext {
  groups: ReadonlyMap<string, RosterGroupRef>;
}

type Comparable = (value: unknown) => unknown;

const text: Comparable = (value) => (value === undefined || value === '' ? null : value);
const lower: Comparable = (value) => (typeof value === 'string' && value !== '' ? value.toLowerCase() : null);
const first = (pick: (item: unknown) => unknown): Comparable => (value) => (Array.isArray(value) && value.length > 0 ? text(pick(value[0])) : null);
const phones: Comparable = (value) =>
  Array.isArray(value)
    ? (value as Array<{ number?: unknown; type?: unknown }>).map((p) => canonicalJson({ number: text(p.number), type: text(p.type) })).sort()
    : [];

/** How a field compares; KnowBe4 keeps one organization and one language, emails case-insensitively. */
const COMPARERS: Record<string, Comparable> = {
  username: lower,
  first_name: text,
  last_name: text,
  title: text,
  location: text,
  department: text,
  division: text,
  external_id: text,
  organizations: first((item) => (item as { name?: unknown } | null)?.name),
  languages: first((item) => item),
  phones,
};

// KnowBe4 keeps custom dates as calendar dates: a date-time written is read back as its date
const calendarDate: Comparable = (value) => (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(value) ? value.slice(0, 10) : text(value));
const MANAGER_KEYS: Readonly<Record<string, Comparable>> = { email: lower };
const CUSTOM_FIELD_KEYS: Readonly<Record<string, Comparable>> = { custom_date_1: calendarDate, custom_date_2: calendarDate };

/**
 * Sub-objects compare only on the keys the roster sends (a manager given by email leaves the stored name alone). A
 * custom field the mirror cannot know (absent from `current`) counts as different, so it is written once; what the
 * roster wrote is kept beside the mirror (RosterRunRepository), so the same value is not written again.
 */
function objectChanged(desired: unknown, current: unknown, comparers: Readonly<Record<string, Comparable>>): boolean {
  if (desired === null) return current !== null && current !== undefined;
  const have = (current ?? {}) as Record<string, unknown>;
  return Object.entries(desired as Record<string, unknown>).some(([key, value]) => {
    if (value === undefined) return false;
    const compare = comparers[key] ?? text;
    return compare(value) !== compare(have[key]);
  });
}

function sameComparable(a: unknown, b: unknown): boolean {
  // strings and null compare as they are; arrays (phones) by their canonical JSON
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return canonicalJson(a) === canonicalJson(b);
}

function fieldChanged(field: string, desired: unknown, record: Readonly<Record<string, unknown>>): boolean {
  if (field === 'emails') return lower(primaryEmailOf({ emails: desired as UnifiedUserWrite['emails'] })) !== lower(record.username);
  if (field === 'manager') return objectChanged(desired, record.manager, MANAGER_KEYS);
  if (field === 'custom_fields') return objectChanged(desired, record.custom_fields, CUSTOM_FIELD_KEYS);
  const compare = COMPARERS[field] ?? text;
  return !sameComparable(compare(desired), compare(record[field]));
}

/** The attributes a roster row sets that differ from the mirror record; fields the row leaves out are not managed. */
export function rosterAttributeChanges(desired: UnifiedUserWrite, record: Readonly<Record<string, unknown>>): { changes: FieldChange[]; write: UnifiedUserWrite } {
  const changed: string[] = [];
  for (const field in desired) {
    const value = (desired as Record<string, unknown>)[field];
    if (value === undefined || field === 'status') continue;
    if (fieldChanged(field, value, record)) changed.push(field);
  }
  // in field order, so the same row always makes the same write (and request hash)
  changed.sort();
  const changes: FieldChange[] = [];
  const write: Record<string, unknown> = {};
  for (const field of changed) {
    const value = (desired as Record<string, unknown>)[field];
    changes.push({ field, from: record[field] ?? null, to: value });
    write[field] = value;
  }
  return { changes, write };
}

/** Lower-cased names of the groups a mirror record says the user is in. */
export function memberGroupNames(record: Readonly<Record<string, unknown>>): Set<string> {
  const names = new Set<string>();
  if (!Array.isArray(record.groups)) return names;
  for (const group of record.groups as Array<{ name?: unknown } | null>) {
    if (typeof group?.name === 'string' && group.name !== '') names.add(group.name.toLowerCase());
  }
  return names;
}

function membershipChanges(row: Pick<RosterRow, 'line' | 'groups'>, email: string, user: RosterMirrorUser, context: RosterPlanContext): RosterChange[] {
  const current = memberGroupNames(user.record);
  if (row.groups.length === 0 && current.size === 0) return [];
  const target = targetOf(user);
  const wanted = new Set(row.groups.map((name) => name.toLowerCase()));
  const changes: RosterChange[] = [];
  for (const name of [...wanted].sort()) {
    const group = context.groups.get(name);
    if (group && !current.has(name)) changes.push({ action: 'add_member', line: row.line, email, target, group });
  }
  for (const name of [...current].sort()) {
    const group = context.groups.get(name);
    if (group && !wanted.has(name)) changes.push({ action: 'remove_member', line: row.line, email, target, group });
  }
  return changes;
}

export function targetOf(user: RosterMirrorUser): RosterUserTarget {
  return { id: user.id, userName: user.userName, scimId: user.scimId };
}

/**
 * What one roster row needs against its matched mirror user (or none): a create with its groups; a reactivation
 * (with any changed attributes) of an archived user; an update of only the changed attributes; and membership
 * changes in the groups the roster manages (groups it never names are left alone).
 */
export function planRosterUser(row: RosterRow, mirror: RosterMirrorUser | null, context: RosterPlanContext): RosterChange[] {
  const email = (primaryEmailOf(row.user) ?? '').toLowerCase();
  if (!mirror) {
    const groups = [...new Set(row.groups.map((name) => name.toLowerCase()))].flatMap((name) => context.groups.get(name) ?? []);
    return [{ action: 'create', line: row.line, email, user: row.user, groups }];
  }
  const { changes, write } = rosterAttributeChanges(row.user, mirror.record);
  const user: RosterChange[] =
    mirror.status === 'inactive'
      ? [{ action: 'reactivate', line: row.line, email, target: targetOf(mirror), changes, write: { ...write, status: 'active' } }]
      : changes.length > 0
        ? [{ action: 'update', line: row.line, email, target: targetOf(mirror), changes, write }]
        : [];
  return [...user, ...membershipChanges(row, email, mirror, context)];
}

/**
 * Removals a row's plan missed because a group it leaves out became managed only later in the upload (a group is
 * managed once any row names it): the row's mirror user leaves each of `lateGroups` it is in and the row does not name.
 */
export function planRosterLateRemovals(row: Pick<RosterRow, 'line' | 'groups'>, email: string, mirror: RosterMirrorUser, lateGroups: ReadonlyMap<string, RosterGroupRef>): RosterChange[] {
  return membershipChanges(row, email, mirror, { groups: lateGroups }).filter((change) => change.action === 'remove_member');
}

/** Who a roster never archives: console-only admins and service accounts, by email, domain or group. */
export interface RosterExclusions {
  emails?: string[];
  email_domains?: string[];
  groups?: string[];
}

export function isExcludedFromRoster(user: Pick<RosterMirrorUser, 'userName' | 'record'>, exclude: RosterExclusions): boolean {
  const email = user.userName.toLowerCase();
  if ((exclude.emails ?? []).some((excluded) => excluded.toLowerCase() === email)) return true;
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if ((exclude.email_domains ?? []).some((excluded) => excluded.toLowerCase().replace(/^@/, '') === domain)) return true;
  const groups = memberGroupNames(user.record);
  return (exclude.groups ?? []).some((name) => groups.has(name.toLowerCase()));
}

export function planRosterArchive(user: RosterMirrorUser): RosterChange {
  return { action: 'archive', line: null, email: user.userName.toLowerCase(), target: targetOf(user) };
}
