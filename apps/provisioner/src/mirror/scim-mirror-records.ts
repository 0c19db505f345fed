import type { UnifiedEmail, UnifiedPhone } from '@kb4/contracts';
import type { ScimGroup, ScimUser } from '@kb4/knowbe4';
import { contentHash, scimGroupToUnifiedGroup, scimUserToUnifiedUser } from '@kb4/mapping';
import type { MirrorGroupRow, MirrorGroupWrite, MirrorUserRow, MirrorUserWrite } from '@kb4/persistence';

// Fields of the unified user only Reporting knows; a SCIM answer leaves them as the last sync saw them.
const EMPTY_USER_RECORD: Record<string, unknown> = {
  groups: [],
  last_active_at: null,
  employee_start_date: null,
  phish_prone_percentage: null,
  current_risk_score: null,
};

function fullName(first: string | null, last: string | null): string | null {
  const name = [first, last].filter((part) => part !== null && part !== '').join(' ');
  return name === '' ? null : name;
}

// SCIM cannot carry phone extensions or email aliases, so the ones the mirror already knows are kept.
function keepExtensions(phones: UnifiedPhone[], before: unknown): UnifiedPhone[] {
  const known = Array.isArray(before) ? (before as UnifiedPhone[]) : [];
  return phones.map((phone) => {
    const same = known.find((entry) => entry?.type === phone.type && entry?.number === phone.number);
    return phone.extension === null && same?.extension ? { ...phone, extension: same.extension } : phone;
  });
}

function keepAliases(emails: UnifiedEmail[], before: unknown): UnifiedEmail[] {
  const known = Array.isArray(before) ? (before as UnifiedEmail[]) : [];
  const primary = emails[0]?.email.toLowerCase();
  return [...emails, ...known.filter((entry) => entry?.type === 'alias' && entry.email.toLowerCase() !== primary)];
}

/**
 * The mirror row after KnowBe4 accepted a SCIM write: the writable fields as SCIM answered them, over the
 * record the last sync stored (risk scores, groups, sign-in times stay until the next sync refreshes them).
 * `id` stays the Reporting id when known; before the first sync the SCIM id addresses the user.
 */
// Groups a user create just joined, added to the ones the record knows (a sync replaces them with Reporting's).
function withJoined(before: unknown, joined: ReadonlyArray<{ id: string; name: string | null }>): unknown {
  if (joined.length === 0) return before;
  const known = Array.isArray(before) ? (before as Array<{ id?: unknown }>) : [];
  const added = joined.filter((group) => !known.some((entry) => entry?.id === group.id)).map((group) => ({ id: group.id, name: group.name }));
  return [...known, ...added];
}

export function mirrorUserFromScim(
  scim: ScimUser,
  existing: MirrorUserRow | null,
  now: Date,
  joined: ReadonlyArray<{ id: string; name: string | null }> = [],
): MirrorUserWrite {
  const unified = scimUserToUnifiedUser(scim);
  if (!unified.scim_id || !unified.username) throw new Error('KnowBe4 answered a SCIM user without id or userName');
  const before = existing?.record ?? {};
  const record: Record<string, unknown> = {
    ...EMPTY_USER_RECORD,
    ...before,
    id: existing?.remoteId ?? (typeof before.id === 'string' ? before.id : unified.scim_id),
    groups: withJoined(before.groups ?? EMPTY_USER_RECORD.groups, joined),
    external_id: unified.external_id,
    first_name: unified.first_name,
    last_name: unified.last_name,
    name: fullName(unified.first_name, unified.last_name),
    username: unified.username,
    emails: keepAliases(unified.emails, before.emails),
    phones: keepExtensions(unified.phones, before.phones),
    title: unified.title,
    status: unified.status,
    organizations: unified.organizations,
    languages: unified.languages,
    department: unified.department,
    division: unified.division,
    location: unified.location,
    manager: unified.manager,
    created_at: (before.created_at) ?? unified.created_at,
    updated_at: now.toISOString(),
  };
  delete record.remote_data;
  const { updated_at: _ignored, ...hashed } = record;
  return {
    scimId: unified.scim_id,
    provisioningGuid: unified.scim_external_id,
    emailLower: unified.username.toLowerCase(),
    employeeNumber: unified.external_id,
    status: unified.status,
    firstName: unified.first_name,
    lastName: unified.last_name,
    department: unified.department,
    record,
    contentHash: contentHash(hashed),
  };
}

export function mirrorGroupFromScim(scim: ScimGroup, existing: MirrorGroupRow | null, now: Date): MirrorGroupWrite {
  const unified = scimGroupToUnifiedGroup(scim);
  if (!unified.scim_id) throw new Error('KnowBe4 answered a SCIM group without id');
  const before = existing?.record ?? {};
  const record: Record<string, unknown> = {
    type: 'console_group',
    status: 'active',
    member_count: null,
    current_risk_score: null,
    provisioning_guid: unified.external_id,
    created_at: now.toISOString(),
    ...before,
    id: existing?.remoteId ?? (typeof before.id === 'string' ? before.id : unified.scim_id),
    name: unified.name,
    updated_at: now.toISOString(),
  };
  delete record.remote_data;
  const { updated_at: _ignored, ...hashed } = record;
  return { scimId: unified.scim_id, name: unified.name, record, contentHash: contentHash(hashed) };
}
