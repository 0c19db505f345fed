import type { GroupRecord, UserFields, UserRecord } from '../store/records';
import type { TenantStore } from '../store/tenant-store';
import { isoTime } from '../store/time';
import { checkResource, scimBoolean } from './scim-attribute-types';
import { ScimError } from './scim-errors';
import { CORE_GROUP, CORE_USER, ENTERPRISE_USER, KNOWBE4_USER } from './scim-schemas';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined);
const arr = (v: unknown): Json[] => (Array.isArray(v) ? v.flatMap((x: unknown): Json[] => { const o = obj(x); return o ? [o] : []; }) : []);
const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const dropNulls = (o: Json): Json => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));


/** The extension objects of a user; an extension without any value is left out, schemas and all. */
function userExtensions(u: UserRecord, manager: UserRecord | undefined, base: string): Record<string, Json | null> {
  const present = (o: Json): Json | null => (Object.keys(o).length > 0 ? o : null);
  const extensions = {
    [ENTERPRISE_USER]: dropNulls({
      employeeNumber: u.employee_number,
      department: u.department,
      division: u.division,
      organization: u.organization,
      manager:
        u.manager_name || manager
          ? dropNulls({ value: manager?.scimId ?? null, displayName: u.manager_name, $ref: manager ? `${base}/Users/${manager.scimId}` : null })
          : null,
    }),
    [KNOWBE4_USER]: dropNulls({
      customField1: u.custom_field_1,
      customField2: u.custom_field_2,
      customField3: u.custom_field_3,
      customField4: u.custom_field_4,
      customDate1: u.custom_date_1,
      customDate2: u.custom_date_2,
    }),
  };
  return { [ENTERPRISE_USER]: present(extensions[ENTERPRISE_USER]), [KNOWBE4_USER]: present(extensions[KNOWBE4_USER]) };
}

/** Renders a store user as a SCIM User with KnowBe4's enterprise and kmsat extensions. */
export function toScimUser(u: UserRecord, store: TenantStore, base: string): Json {
  const manager = u.manager_email ? store.findUserByEmail(u.manager_email) : undefined;
  const name = [u.first_name, u.last_name].filter(Boolean).join(' ');
  const phones = [
    u.phone_number ? { value: u.phone_number, type: 'work' } : null,
    u.mobile_phone_number ? { value: u.mobile_phone_number, type: 'mobile' } : null,
  ].filter((p) => p !== null);
  const extensions = userExtensions(u, manager, base);
  return dropNulls({
    schemas: [CORE_USER, ...[ENTERPRISE_USER, KNOWBE4_USER].filter((urn) => extensions[urn])],
    id: u.scimId,
    externalId: u.externalId,
    userName: u.email,
    name: name ? dropNulls({ givenName: u.first_name, familyName: u.last_name, formatted: name }) : null,
    displayName: name || null,
    title: u.job_title,
    preferredLanguage: u.language,
    active: u.status === 'active',
    // Only the primary address survives: KnowBe4 strips aliases.
    emails: [{ value: u.email, type: 'work', primary: true }],
    phoneNumbers: phones.length ? phones : null,
    addresses: u.location ? [{ locality: u.location, type: 'work', primary: true }] : null,
    groups: [...u.groupIds].flatMap((id) => {
      const g = store.groupsById.get(id);
      return g ? [{ value: g.scimId, $ref: `${base}/Groups/${g.scimId}`, display: g.name }] : [];
    }),
    [ENTERPRISE_USER]: extensions[ENTERPRISE_USER],
    [KNOWBE4_USER]: extensions[KNOWBE4_USER],
    meta: {
      resourceType: 'User',
      created: isoTime(u.joined_on),
      lastModified: isoTime(u.updatedAt),
      location: `${base}/Users/${u.scimId}`,
    },
  });
}

export interface ScimUserInput {
  fields: UserFields;
  active: boolean | undefined;
  externalId: string | null;
}

/**
 * Reads every mutable attribute of a SCIM User; anything absent comes back null, which is exactly what a
 * PUT (full replace) needs. PATCH reuses it on the already-patched full resource.
 */
export function fromScimUser(body: unknown, store: TenantStore): ScimUserInput {
  const r = obj(body);
  if (!r) throw new ScimError(400, 'Request body must be a SCIM User object', 'invalidSyntax');
  checkResource('User', r, { requireRequired: true });
  const userName = text(r.userName)!;
  const name = obj(r.name) ?? {};
  const phones = arr(r.phoneNumbers);
  const mobile = phones.find((p) => p.type === 'mobile');
  const work = phones.find((p) => p !== mobile);
  const addresses = arr(r.addresses);
  const address = addresses.find((a) => scimBoolean(a.primary)) ?? addresses[0];
  const ent = obj(r[ENTERPRISE_USER]) ?? {};
  const kb4 = obj(r[KNOWBE4_USER]) ?? {};
  const managerRef = obj(ent.manager);
  const managerUser = managerRef && text(managerRef.value) ? store.usersByScimId.get(text(managerRef.value)!) : undefined;
  const managerName =
    (managerRef && text(managerRef.displayName)) ??
    (managerUser ? [managerUser.first_name, managerUser.last_name].filter(Boolean).join(' ') : null);
  return {
    active: scimBoolean(r.active),
    externalId: text(r.externalId),
    fields: {
      email: userName.toLowerCase(),
      first_name: text(name.givenName),
      last_name: text(name.familyName),
      job_title: text(r.title),
      phone_number: work ? text(work.value) : null,
      extension: null,
      mobile_phone_number: mobile ? text(mobile.value) : null,
      location: address ? text(address.locality) : null,
      language: text(r.preferredLanguage),
      employee_number: text(ent.employeeNumber),
      department: text(ent.department),
      division: text(ent.division),
      organization: text(ent.organization),
      manager_name: managerName,
      manager_email: managerUser?.email ?? (managerRef && text(managerRef.value)?.includes('@') ? text(managerRef.value) : null),
      comment: null,
      employee_start_date: null,
      custom_field_1: text(kb4.customField1),
      custom_field_2: text(kb4.customField2),
      custom_field_3: text(kb4.customField3),
      custom_field_4: text(kb4.customField4),
      custom_date_1: text(kb4.customDate1)?.slice(0, 10) ?? null,
      custom_date_2: text(kb4.customDate2)?.slice(0, 10) ?? null,
    },
  };
}

/** Console-only fields SCIM cannot see survive a SCIM PUT. */
export function keepConsoleOnlyFields(user: UserRecord, fields: UserFields): UserFields {
  return { ...fields, extension: user.extension, comment: user.comment, employee_start_date: user.employee_start_date };
}

export function toScimGroup(g: GroupRecord, store: TenantStore, base: string, withMembers = true): Json {
  return dropNulls({
    schemas: [CORE_GROUP],
    id: g.scimId,
    externalId: g.externalId,
    displayName: g.name,
    // an empty multi-valued attribute is unassigned (RFC 7643 §2.5), so it is left out like any other
    members: withMembers && g.memberIds.size > 0
      ? store.groupMembers(g).flatMap((id) => {
          const u = store.usersById.get(id);
          return u ? [{ value: u.scimId, display: u.email, $ref: `${base}/Users/${u.scimId}` }] : [];
        })
      : null,
    meta: { resourceType: 'Group', created: isoTime(g.createdAt), lastModified: isoTime(g.updatedAt), location: `${base}/Groups/${g.scimId}` },
  });
}

/**
 * Member user ids named by a SCIM Group body. A member that is no User of this account is `400 invalidValue`
 * (RFC 7644 §3.12), never silently dropped: the caller would believe it was added.
 */
export function memberIdsOf(body: Json, store: TenantStore): number[] {
  const members = arr(body.members);
  const unknown = members.map((m) => text(m.value) ?? '').filter((value) => !store.usersByScimId.has(value));
  if (unknown.length > 0) {
    const listed = unknown.slice(0, 5).map((value) => JSON.stringify(value)).join(', ');
    throw new ScimError(400, `Attribute 'members.value' must name Users of this account; no User has the id ${listed}${unknown.length > 5 ? ', ...' : ''}`, 'invalidValue');
  }
  return members.map((m) => store.usersByScimId.get(text(m.value)!)!.id);
}
