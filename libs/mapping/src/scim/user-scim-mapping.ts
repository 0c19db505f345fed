import type {
  UnifiedCustomFields,
  UnifiedEmail,
  UnifiedManager,
  UnifiedPhone,
  UnifiedUserWritableFields,
  UnifiedUserWrite,
} from '@kb4/contracts';
import type {
  ScimEnterpriseUserExtension,
  ScimKnowBe4UserExtension,
  ScimManagerRef,
  ScimMultiValued,
  ScimPatchOperation,
  ScimPatchRequest,
  ScimUser,
} from '@kb4/knowbe4';
import { SCIM_ENTERPRISE_USER_SCHEMA, SCIM_KNOWBE4_USER_SCHEMA, SCIM_PATCH_OP_SCHEMA, SCIM_USER_SCHEMA } from './scim-resources';

/** A write that cannot be expressed in SCIM (e.g. no primary email to use as `userName`). */
export class ScimMappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScimMappingError';
  }
}

/** Unified custom field name → attribute of the KnowBe4 SCIM extension. */
export const CUSTOM_FIELD_SCIM_ATTRIBUTES = {
  custom_field_1: 'customField1',
  custom_field_2: 'customField2',
  custom_field_3: 'customField3',
  custom_field_4: 'customField4',
  custom_date_1: 'customDate1',
  custom_date_2: 'customDate2',
} as const satisfies Record<keyof UnifiedCustomFields, keyof ScimKnowBe4UserExtension>;

const CUSTOM_FIELD_ENTRIES = Object.entries(CUSTOM_FIELD_SCIM_ATTRIBUTES) as Array<
  [keyof UnifiedCustomFields, (typeof CUSTOM_FIELD_SCIM_ATTRIBUTES)[keyof UnifiedCustomFields]]
>;

/** A SCIM user read back into unified terms, with the SCIM-side identifiers beside it. */
export interface ScimUnifiedUser extends UnifiedUserWritableFields {
  scim_id: string | null;
  scim_external_id: string | null;
  created_at: string | null;
  updated_at: string | null;
}

// An RFC 3966 `;ext=` suffix some IdPs put in `value`; read it, never write it (KnowBe4 would keep it in the number).
const EXTENSION_SUFFIX = /;ext=(.*)$/i;

/** SCIM phoneNumbers have no extension attribute, so the extension stays console-only. */
function encodePhone(phone: UnifiedPhone): ScimMultiValued {
  return { value: phone.number, type: phone.type };
}

function decodePhone(entry: ScimMultiValued): UnifiedPhone {
  const match = EXTENSION_SUFFIX.exec(entry.value);
  const number = match ? entry.value.slice(0, match.index) : entry.value;
  const extension = match && match[1] !== '' ? match[1] : null;
  return { number, extension, type: entry.type === 'mobile' ? 'mobile' : 'work' };
}

/** The primary email a write resolves to: `username`, else the primary entry of `emails`, else the first. */
export function primaryEmailOf(write: Pick<UnifiedUserWrite, 'username' | 'emails'>): string | null {
  if (write.username) return write.username;
  const emails = write.emails ?? [];
  return (emails.find((email) => email.is_primary) ?? emails[0])?.email ?? null;
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined && value !== '';
}

function toScimManager(manager: UnifiedManager): ScimManagerRef | undefined {
  const scim: ScimManagerRef = {};
  if (present(manager.email)) scim.value = manager.email;
  if (present(manager.name)) scim.displayName = manager.name;
  return Object.keys(scim).length > 0 ? scim : undefined;
}

function enterpriseOf(input: UnifiedUserWrite): ScimEnterpriseUserExtension | undefined {
  const enterprise: ScimEnterpriseUserExtension = {};
  if (present(input.external_id)) enterprise.employeeNumber = input.external_id;
  if (present(input.department)) enterprise.department = input.department;
  if (present(input.division)) enterprise.division = input.division;
  const organization = input.organizations?.[0]?.name;
  if (present(organization)) enterprise.organization = organization;
  const manager = input.manager ? toScimManager(input.manager) : undefined;
  if (manager) enterprise.manager = manager;
  return Object.keys(enterprise).length > 0 ? enterprise : undefined;
}

function knowBe4ExtensionOf(input: UnifiedUserWrite): ScimKnowBe4UserExtension | undefined {
  const extension: ScimKnowBe4UserExtension = {};
  for (const [field, attribute] of CUSTOM_FIELD_ENTRIES) {
    const value = input.custom_fields?.[field];
    if (present(value)) extension[attribute] = value;
  }
  return Object.keys(extension).length > 0 ? extension : undefined;
}

/**
 * A full SCIM User for POST/PUT. `userName` is the primary email lower-cased (KnowBe4 matches it
 * case-insensitively); only the primary email is sent because KnowBe4 strips aliases. Null fields are omitted,
 * and so are phone extensions, which SCIM cannot carry.
 */
export function unifiedUserToScimUser(input: UnifiedUserWrite): ScimUser {
  const primaryEmail = primaryEmailOf(input);
  if (!primaryEmail) throw new ScimMappingError('a user needs a primary email (username) to be written to KnowBe4');
  const scim: ScimUser = {
    schemas: [SCIM_USER_SCHEMA],
    userName: primaryEmail.toLowerCase(),
    active: input.status !== 'inactive',
    emails: [{ value: primaryEmail, type: 'work', primary: true }],
  };
  const name: ScimUser['name'] = {};
  if (present(input.first_name)) name.givenName = input.first_name;
  if (present(input.last_name)) name.familyName = input.last_name;
  if (Object.keys(name).length > 0) scim.name = name;
  if (present(input.title)) scim.title = input.title;
  if (input.phones && input.phones.length > 0) scim.phoneNumbers = input.phones.map(encodePhone);
  if (present(input.location)) scim.addresses = [{ type: 'work', locality: input.location, primary: true }];
  const language = input.languages?.[0];
  if (present(language)) scim.preferredLanguage = language;
  const enterprise = enterpriseOf(input);
  if (enterprise) {
    scim.schemas.push(SCIM_ENTERPRISE_USER_SCHEMA);
    scim[SCIM_ENTERPRISE_USER_SCHEMA] = enterprise;
  }
  const knowBe4 = knowBe4ExtensionOf(input);
  if (knowBe4) {
    scim.schemas.push(SCIM_KNOWBE4_USER_SCHEMA);
    scim[SCIM_KNOWBE4_USER_SCHEMA] = knowBe4;
  }
  return scim;
}

function emailsFromScim(scim: ScimUser): UnifiedEmail[] {
  const primary = scim.emails?.find((email) => email.primary) ?? scim.emails?.[0];
  const address = primary?.value ?? scim.userName;
  return address ? [{ email: address, type: 'work', is_primary: true }] : [];
}

function orNull(value: string | undefined): string | null {
  return present(value) ? value : null;
}

function managerFromScim(manager: ScimManagerRef | undefined): UnifiedManager | null {
  const email = manager?.value?.includes('@') ? manager.value : null;
  const name = orNull(manager?.displayName);
  return email !== null || name !== null ? { name, email } : null;
}

/** Reads a SCIM User (as KnowBe4 answers it) into the writable unified fields plus SCIM identifiers. */
export function scimUserToUnifiedUser(scim: ScimUser): ScimUnifiedUser {
  const enterprise = scim[SCIM_ENTERPRISE_USER_SCHEMA] ?? {};
  const knowBe4 = scim[SCIM_KNOWBE4_USER_SCHEMA] ?? {};
  const emails = emailsFromScim(scim);
  const address = scim.addresses?.find((entry) => entry.primary) ?? scim.addresses?.[0];
  const manager = enterprise.manager;
  const custom_fields: UnifiedCustomFields = {};
  for (const [field, attribute] of CUSTOM_FIELD_ENTRIES) custom_fields[field] = orNull(knowBe4[attribute]);
  return {
    scim_id: orNull(scim.id),
    scim_external_id: orNull(scim.externalId),
    username: emails[0]?.email ?? null,
    emails,
    first_name: orNull(scim.name?.givenName),
    last_name: orNull(scim.name?.familyName),
    title: orNull(scim.title),
    // RFC 7643 leaves an absent `active` unspecified; KnowBe4 treats such users as active.
    status: scim.active === false ? 'inactive' : 'active',
    phones: (scim.phoneNumbers ?? []).filter((entry) => present(entry.value)).map(decodePhone),
    location: orNull(address?.locality),
    department: orNull(enterprise.department),
    division: orNull(enterprise.division),
    organizations: present(enterprise.organization) ? [{ name: enterprise.organization }] : [],
    manager: managerFromScim(manager),
    external_id: orNull(enterprise.employeeNumber),
    languages: present(scim.preferredLanguage) ? [scim.preferredLanguage] : [],
    custom_fields,
    created_at: orNull(scim.meta?.created),
    updated_at: orNull(scim.meta?.lastModified),
  };
}

const ENTERPRISE = SCIM_ENTERPRISE_USER_SCHEMA;
const KNOWBE4 = SCIM_KNOWBE4_USER_SCHEMA;

function setOrRemove(path: string, value: unknown): ScimPatchOperation {
  const empty = value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  return empty ? { op: 'remove', path } : { op: 'replace', path, value };
}

/**
 * RFC 7644 §3.5.2 PatchOp for a partial unified write. Fields absent from `changes` are untouched;
 * `null` (or an empty list) removes the attribute. Multi-valued attributes are replaced whole, because
 * KnowBe4 keeps one work phone, one mobile phone and one location.
 */
export function unifiedPatchToScimPatchOps(changes: UnifiedUserWrite): ScimPatchRequest {
  const operations: ScimPatchOperation[] = [];
  if (changes.username !== undefined || changes.emails !== undefined) {
    const primaryEmail = primaryEmailOf(changes);
    if (!primaryEmail) throw new ScimMappingError('the primary email (username) cannot be cleared');
    operations.push({ op: 'replace', path: 'userName', value: primaryEmail.toLowerCase() });
    operations.push({ op: 'replace', path: 'emails', value: [{ value: primaryEmail, type: 'work', primary: true }] });
  }
  if (changes.first_name !== undefined) operations.push(setOrRemove('name.givenName', changes.first_name));
  if (changes.last_name !== undefined) operations.push(setOrRemove('name.familyName', changes.last_name));
  if (changes.title !== undefined) operations.push(setOrRemove('title', changes.title));
  if (changes.status !== undefined) operations.push({ op: 'replace', path: 'active', value: changes.status !== 'inactive' });
  if (changes.phones !== undefined) operations.push(setOrRemove('phoneNumbers', (changes.phones ?? []).map(encodePhone)));
  if (changes.location !== undefined) {
    const addresses = present(changes.location) ? [{ type: 'work', locality: changes.location, primary: true }] : [];
    operations.push(setOrRemove('addresses', addresses));
  }
  if (changes.department !== undefined) operations.push(setOrRemove(`${ENTERPRISE}:department`, changes.department));
  if (changes.division !== undefined) operations.push(setOrRemove(`${ENTERPRISE}:division`, changes.division));
  if (changes.organizations !== undefined) {
    operations.push(setOrRemove(`${ENTERPRISE}:organization`, changes.organizations?.[0]?.name ?? null));
  }
  if (changes.manager !== undefined) {
    operations.push(setOrRemove(`${ENTERPRISE}:manager`, changes.manager ? (toScimManager(changes.manager) ?? null) : null));
  }
  if (changes.external_id !== undefined) operations.push(setOrRemove(`${ENTERPRISE}:employeeNumber`, changes.external_id));
  if (changes.languages !== undefined) operations.push(setOrRemove('preferredLanguage', changes.languages?.[0] ?? null));
  for (const [field, attribute] of CUSTOM_FIELD_ENTRIES) {
    const value = changes.custom_fields?.[field];
    if (value !== undefined) operations.push(setOrRemove(`${KNOWBE4}:${attribute}`, value));
  }
  return { schemas: [SCIM_PATCH_OP_SCHEMA], Operations: operations };
}

/** `filter=userName eq "…"`, the only filter KnowBe4 SCIM supports; the value is quoted as a JSON string. */
export function scimUserNameFilter(userName: string): string {
  return `userName eq ${JSON.stringify(userName.toLowerCase())}`;
}
