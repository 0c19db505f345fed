import type {
  UnifiedCustomFields,
  UnifiedEmail,
  UnifiedGroup,
  UnifiedGroupRef,
  UnifiedPhone,
  UnifiedUser,
  UnifiedUserWritableFields,
} from '@kb4/contracts';
import type { KnowBe4Group, KnowBe4User } from '@kb4/knowbe4';
import type { NormalizedKnowBe4User } from '../knowbe4/knowbe4-records';
import { KNOWBE4_CUSTOM_FIELD_NAMES } from '../knowbe4/knowbe4-records';
import { normalizeKnowBe4Group, normalizeKnowBe4User } from '../knowbe4/normalize';

/**
 * A Reporting user as the client types it, as normalized, or as a JSON object straight from a page body (a sync
 * reads raw bytes): `toUnifiedUser` normalizes whatever it is given, so none of them needs a cast.
 */
export type FetchedKnowBe4User = KnowBe4User | NormalizedKnowBe4User | Readonly<Record<string, unknown>>;
/** A Reporting group as the client types it or as a JSON object straight from a page body. */
export type FetchedKnowBe4Group = KnowBe4Group | Readonly<Record<string, unknown>>;

/** Group names by KnowBe4 group id (string or number keys), usually built from the same sync's `/groups`. */
export type GroupNamesById = ReadonlyMap<string | number, string> | Readonly<Record<string, string>>;

export interface ToUnifiedUserOptions {
  groupsById?: GroupNamesById;
}

function lookupGroupName(groupsById: GroupNamesById | undefined, id: number): string | null {
  if (!groupsById) return null;
  if (groupsById instanceof Map) {
    const names = groupsById as ReadonlyMap<string | number, string>;
    return names.get(id) ?? names.get(String(id)) ?? null;
  }
  return (groupsById as Readonly<Record<string, string>>)[String(id)] ?? null;
}

/** With `expand=group` KnowBe4 embeds `{id, name}` objects; their names win over the lookup table. */
function expandedGroupNames(raw: FetchedKnowBe4User): Map<string, string> {
  const names = new Map<string, string>();
  const groups: unknown = raw.groups;
  if (!Array.isArray(groups)) return names;
  for (const entry of groups as unknown[]) {
    if (typeof entry === 'object' && entry !== null && 'id' in entry && 'name' in entry) {
      const { id, name } = entry;
      if (typeof name === 'string' && (typeof id === 'number' || typeof id === 'string')) names.set(String(id), name);
    }
  }
  return names;
}

function emailsOf(user: NormalizedKnowBe4User): UnifiedEmail[] {
  const emails: UnifiedEmail[] = [];
  if (user.email !== null) emails.push({ email: user.email, type: 'work', is_primary: true });
  for (const alias of user.aliases) {
    if (alias.toLowerCase() !== user.email?.toLowerCase()) emails.push({ email: alias, type: 'alias', is_primary: false });
  }
  return emails;
}

function phonesOf(user: NormalizedKnowBe4User): UnifiedPhone[] {
  const phones: UnifiedPhone[] = [];
  if (user.phone_number !== null) phones.push({ number: user.phone_number, extension: user.extension, type: 'work' });
  if (user.mobile_phone_number !== null) {
    phones.push({ number: user.mobile_phone_number, extension: null, type: 'mobile' });
  }
  return phones;
}

function fullName(first: string | null, last: string | null): string | null {
  const name = [first, last].filter((part): part is string => part !== null).join(' ');
  return name === '' ? null : name;
}

/** Maps a fetched (raw or normalized) KnowBe4 user to the unified user. `remote_data` is the input as given. */
export function toUnifiedUser(raw: FetchedKnowBe4User, options: ToUnifiedUserOptions = {}): UnifiedUser {
  const user = normalizeKnowBe4User(raw);
  const expanded = expandedGroupNames(raw);
  const groups: UnifiedGroupRef[] = user.groups.map((id) => ({
    id: String(id),
    name: expanded.get(String(id)) ?? lookupGroupName(options.groupsById, id),
  }));
  const hasManager = user.manager_name !== null || user.manager_email !== null;
  return {
    id: String(user.id),
    external_id: user.employee_number,
    first_name: user.first_name,
    last_name: user.last_name,
    name: fullName(user.first_name, user.last_name),
    username: user.email,
    emails: emailsOf(user),
    phones: phonesOf(user),
    title: user.job_title,
    status: user.status === 'archived' ? 'inactive' : 'active',
    groups,
    organizations: user.organization !== null ? [{ name: user.organization }] : [],
    languages: user.language !== null ? [user.language] : [],
    created_at: user.joined_on,
    updated_at: null,
    last_active_at: user.last_sign_in,
    remote_data: { ...raw },
    department: user.department,
    division: user.division,
    location: user.location,
    manager: hasManager ? { name: user.manager_name, email: user.manager_email } : null,
    employee_start_date: user.employee_start_date,
    phish_prone_percentage: user.phish_prone_percentage,
    current_risk_score: user.current_risk_score,
  };
}

export function toUnifiedGroup(raw: FetchedKnowBe4Group): UnifiedGroup {
  const group = normalizeKnowBe4Group(raw);
  return {
    id: String(group.id),
    name: group.name,
    type: group.group_type,
    status: group.status === 'archived' ? 'inactive' : 'active',
    member_count: group.member_count,
    current_risk_score: group.current_risk_score,
    provisioning_guid: group.provisioning_guid,
    created_at: null,
    updated_at: null,
    remote_data: { ...raw },
  };
}

/** Custom fields live only in `remote_data` (they are not part of the unified read schema). */
export function customFieldsOf(user: UnifiedUser): UnifiedCustomFields {
  const remote = user.remote_data;
  if (typeof remote.id !== 'number' && typeof remote.id !== 'string') return {};
  const normalized = normalizeKnowBe4User(remote);
  const fields: UnifiedCustomFields = {};
  for (const name of KNOWBE4_CUSTOM_FIELD_NAMES) fields[name] = normalized[name];
  return fields;
}

/**
 * The writable projection of a read record: what would have to be written to produce it.
 * Aliases and phone extensions are dropped because SCIM cannot write them.
 */
export function writableFieldsOf(user: UnifiedUser): UnifiedUserWritableFields {
  return {
    username: user.username,
    emails: user.emails.filter((email) => email.is_primary),
    first_name: user.first_name,
    last_name: user.last_name,
    title: user.title,
    status: user.status,
    phones: user.phones.map((phone) => ({ ...phone, extension: null })),
    location: user.location,
    department: user.department,
    division: user.division,
    organizations: user.organizations,
    manager: user.manager,
    external_id: user.external_id,
    languages: user.languages,
    custom_fields: customFieldsOf(user),
  };
}
