/**
 * SCIM schema URNs and the discovery documents KnowBe4's SCIM endpoint serves (RFC 7643 §5–7). The attribute
 * declarations below are the one source of truth: /Schemas renders them, and requests are type-checked against them
 * (scim-attribute-types.ts), so what the document says and what the sandbox enforces cannot drift apart.
 */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const KNOWBE4_USER = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** RFC 7643 §2.3 data types. */
export type AttributeType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'binary' | 'reference' | 'complex';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';

/** One attribute as RFC 7643 §7 describes it; omitted characteristics take the RFC defaults. */
export interface AttributeSpec {
  name: string;
  type: AttributeType;
  description: string;
  multiValued?: boolean;
  required?: boolean;
  caseExact?: boolean;
  mutability?: Mutability;
  returned?: Returned;
  uniqueness?: 'none' | 'server' | 'global';
  /** Required for `reference` attributes (RFC 7643 §7). */
  referenceTypes?: string[];
  canonicalValues?: string[];
  subAttributes?: AttributeSpec[];
}

type Extra = Partial<Omit<AttributeSpec, 'name' | 'type' | 'description'>>;
const str = (name: string, description: string, extra: Extra = {}): AttributeSpec => ({ name, type: 'string', description, ...extra });
const bool = (name: string, description: string, extra: Extra = {}): AttributeSpec => ({ name, type: 'boolean', description, ...extra });
const ref = (name: string, description: string, referenceTypes: string[], extra: Extra = {}): AttributeSpec => ({
  name,
  type: 'reference',
  description,
  referenceTypes,
  ...extra,
});
const readOnly: Extra = { mutability: 'readOnly' };

/** RFC 7643 §3.1 common attributes, listed in each core schema (allowed by §3.1) so that every stored attribute is declared. */
const COMMON: AttributeSpec[] = [
  str('id', 'Identifier assigned by KnowBe4 (a UUID, distinct from the Reporting API id)', {
    caseExact: true,
    mutability: 'readOnly',
    returned: 'always',
    uniqueness: 'server',
  }),
  str('externalId', "The provisioning client's identifier; mirrored into the Reporting API's provisioning_guid", { caseExact: true }),
  {
    name: 'meta',
    type: 'complex',
    description: 'Resource metadata',
    ...readOnly,
    subAttributes: [
      str('resourceType', 'User or Group', { caseExact: true, ...readOnly }),
      { name: 'created', type: 'dateTime', description: 'When the resource was created', ...readOnly },
      { name: 'lastModified', type: 'dateTime', description: 'When the resource last changed', ...readOnly },
      ref('location', 'URI of the resource', ['uri'], { caseExact: true, ...readOnly }),
    ],
  },
];

const USER: AttributeSpec[] = [
  ...COMMON,
  str('userName', 'Primary email address; unique in the account, case-insensitively', { required: true, uniqueness: 'server' }),
  {
    name: 'name',
    type: 'complex',
    description: "The user's name",
    subAttributes: [
      str('formatted', 'givenName and familyName joined; derived, never stored', readOnly),
      str('familyName', 'Last name'),
      str('givenName', 'First name'),
    ],
  },
  str('displayName', 'givenName and familyName joined; derived, never stored', readOnly),
  str('title', 'Job title'),
  str('preferredLanguage', 'Language, e.g. en-us'),
  bool('active', 'false archives the user, true reactivates it'),
  {
    name: 'emails',
    type: 'complex',
    multiValued: true,
    description: 'Only the primary address is kept (KnowBe4 strips aliases); it equals userName',
    subAttributes: [
      str('value', 'Email address'),
      str('type', 'Kind of address; the kept address is returned as work', { canonicalValues: ['work'] }),
      bool('primary', 'The primary address'),
    ],
  },
  {
    name: 'phoneNumbers',
    type: 'complex',
    multiValued: true,
    description: 'One mobile number (type mobile) and one other number are kept',
    subAttributes: [str('value', 'Phone number'), str('type', 'mobile, or any other kind (returned as work)', { canonicalValues: ['work', 'mobile'] })],
  },
  {
    name: 'addresses',
    type: 'complex',
    multiValued: true,
    description: "The primary (else first) address's locality is the user's location",
    subAttributes: [str('locality', 'City or location'), str('type', 'Kind of address; returned as work', { canonicalValues: ['work'] }), bool('primary', 'The primary address')],
  },
  {
    name: 'groups',
    type: 'complex',
    multiValued: true,
    description: 'Groups the user belongs to; changed through the Group resource',
    ...readOnly,
    subAttributes: [
      str('value', 'Group id', { caseExact: true, ...readOnly }),
      ref('$ref', 'URI of the group', ['Group'], { caseExact: true, ...readOnly }),
      str('display', 'Group name', readOnly),
    ],
  },
];

const GROUP: AttributeSpec[] = [
  ...COMMON,
  str('displayName', 'Group name; unique in the account, case-insensitively', { required: true, uniqueness: 'server' }),
  {
    name: 'members',
    type: 'complex',
    multiValued: true,
    description: 'Members of the group; each value must be the id of a User of this account (no nested groups)',
    subAttributes: [
      str('value', 'User id', { caseExact: true, mutability: 'immutable' }),
      ref('$ref', 'URI of the user', ['User'], { caseExact: true, ...readOnly }),
      str('display', "The member's userName", readOnly),
    ],
  },
];

const ENTERPRISE: AttributeSpec[] = [
  str('employeeNumber', 'Employee number (leading zeros kept)'),
  str('department', 'Department'),
  str('division', 'Division'),
  str('organization', 'Organization'),
  {
    name: 'manager',
    type: 'complex',
    description: "The user's manager",
    subAttributes: [
      str('value', 'Id of the manager (a User of this account) or the manager\u2019s email'),
      ref('$ref', 'URI of the manager', ['User'], { caseExact: true, ...readOnly }),
      str('displayName', "The manager's name (derived from the manager when not given)"),
    ],
  },
];

const date = (name: string): AttributeSpec => ({
  name,
  type: 'dateTime',
  description: 'A calendar date: xsd:dateTime or YYYY-MM-DD accepted; KnowBe4 keeps and returns the date (YYYY-MM-DD)',
});

const KNOWBE4: AttributeSpec[] = [
  str('customField1', 'Custom field 1'),
  str('customField2', 'Custom field 2'),
  str('customField3', 'Custom field 3'),
  str('customField4', 'Custom field 4'),
  date('customDate1'),
  date('customDate2'),
];

/** Attributes of each schema, keyed by schema URN. */
export const SCHEMA_ATTRIBUTES: Readonly<Record<string, readonly AttributeSpec[]>> = {
  [CORE_USER]: USER,
  [CORE_GROUP]: GROUP,
  [ENTERPRISE_USER]: ENTERPRISE,
  [KNOWBE4_USER]: KNOWBE4,
};

export type ResourceKind = 'User' | 'Group';
/** The core schema and the extension schemas of each resource type. */
export const RESOURCE_SCHEMAS: Readonly<Record<ResourceKind, { core: string; extensions: readonly string[] }>> = {
  User: { core: CORE_USER, extensions: [ENTERPRISE_USER, KNOWBE4_USER] },
  Group: { core: CORE_GROUP, extensions: [] },
};

const render = (spec: AttributeSpec): Record<string, unknown> => ({
  name: spec.name,
  type: spec.type,
  multiValued: spec.multiValued ?? false,
  description: spec.description,
  required: spec.required ?? false,
  ...(spec.canonicalValues ? { canonicalValues: spec.canonicalValues } : {}),
  caseExact: spec.caseExact ?? false,
  mutability: spec.mutability ?? 'readWrite',
  returned: spec.returned ?? 'default',
  uniqueness: spec.uniqueness ?? 'none',
  ...(spec.type === 'reference' ? { referenceTypes: spec.referenceTypes ?? ['external'] } : {}),
  ...(spec.subAttributes ? { subAttributes: spec.subAttributes.map(render) } : {}),
});

const schema = (id: string, name: string, description: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id,
  name,
  description,
  attributes: SCHEMA_ATTRIBUTES[id].map(render),
  meta: { resourceType: 'Schema', location: `/Schemas/${id}` },
});

export const SCHEMAS = [
  schema(CORE_USER, 'User', 'User account (KnowBe4 user)'),
  schema(CORE_GROUP, 'Group', 'Console group'),
  schema(ENTERPRISE_USER, 'EnterpriseUser', 'Enterprise user attributes KnowBe4 stores'),
  schema(KNOWBE4_USER, 'KnowBe4User', 'KnowBe4 custom fields and dates'),
];

const resourceType = (id: ResourceKind, endpoint: string, description: string) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
  id,
  name: id,
  description,
  endpoint,
  schema: RESOURCE_SCHEMAS[id].core,
  schemaExtensions: RESOURCE_SCHEMAS[id].extensions.map((extension) => ({ schema: extension, required: false })),
  meta: { resourceType: 'ResourceType', location: `/ResourceTypes/${id}` },
});

export const RESOURCE_TYPES = [resourceType('User', '/Users', 'KnowBe4 user'), resourceType('Group', '/Groups', 'KnowBe4 console group')];

/** Page size cap of the list endpoints (RFC 7644 §3.4.2.4 `count`), also the filter's maxResults. */
export const MAX_RESULTS = 1000;

/** Exactly what the sandbox implements (RFC 7643 §5). */
export const SERVICE_PROVIDER_CONFIG = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  documentationUri: 'https://support.knowbe4.com/hc/en-us/articles/360050582354',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: MAX_RESULTS },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: 'oauthbearertoken',
      name: 'OAuth Bearer Token',
      description: 'The SCIM token from the KnowBe4 console (Account Settings > User Provisioning), sent as Authorization: Bearer',
      specUri: 'https://www.rfc-editor.org/info/rfc6750',
      primary: true,
    },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: '/ServiceProviderConfig' },
};
