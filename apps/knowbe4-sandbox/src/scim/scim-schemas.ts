/** SCIM schema URNs and the discovery documents KnowBe4's SCIM endpoint serves (RFC 7643 §5–7). */
export const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const CORE_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const KNOWBE4_USER = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User';
export const LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface AttributeSpec {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference';
  multiValued?: boolean;
  required?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable';
  uniqueness?: 'none' | 'server';
  subAttributes?: AttributeSpec[];
}

const attr = (spec: AttributeSpec): Record<string, unknown> => ({
  name: spec.name,
  type: spec.type,
  multiValued: spec.multiValued ?? false,
  required: spec.required ?? false,
  caseExact: false,
  mutability: spec.mutability ?? 'readWrite',
  returned: 'default',
  uniqueness: spec.uniqueness ?? 'none',
  ...(spec.subAttributes ? { subAttributes: spec.subAttributes.map(attr) } : {}),
});
const str = (name: string, extra: Partial<AttributeSpec> = {}): AttributeSpec => ({ name, type: 'string', ...extra });
const multi = (name: string, subs: AttributeSpec[]): AttributeSpec => ({ name, type: 'complex', multiValued: true, subAttributes: subs });

const schema = (id: string, name: string, attributes: AttributeSpec[]) => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id,
  name,
  description: `${name} attributes accepted by KnowBe4`,
  attributes: attributes.map(attr),
  meta: { resourceType: 'Schema', location: `/Schemas/${id}` },
});

export const SCHEMAS = [
  schema(CORE_USER, 'User', [
    str('userName', { required: true, uniqueness: 'server' }),
    { name: 'name', type: 'complex', subAttributes: [str('givenName'), str('familyName'), str('formatted')] },
    str('displayName'),
    str('title'),
    str('preferredLanguage'),
    { name: 'active', type: 'boolean' },
    multi('emails', [str('value'), str('type'), { name: 'primary', type: 'boolean' }]),
    multi('phoneNumbers', [str('value'), str('type')]),
    multi('addresses', [str('locality'), str('type'), { name: 'primary', type: 'boolean' }]),
    multi('groups', [str('value', { mutability: 'readOnly' }), str('display', { mutability: 'readOnly' })]),
  ]),
  schema(CORE_GROUP, 'Group', [
    str('displayName', { required: true }),
    multi('members', [str('value', { mutability: 'immutable' }), str('display'), { name: '$ref', type: 'reference' }]),
  ]),
  schema(ENTERPRISE_USER, 'EnterpriseUser', [
    str('employeeNumber'),
    str('department'),
    str('division'),
    str('organization'),
    { name: 'manager', type: 'complex', subAttributes: [str('value'), str('displayName'), { name: '$ref', type: 'reference' }] },
  ]),
  schema(KNOWBE4_USER, 'KnowBe4User', [
    str('customField1'),
    str('customField2'),
    str('customField3'),
    str('customField4'),
    { name: 'customDate1', type: 'dateTime' },
    { name: 'customDate2', type: 'dateTime' },
  ]),
];

export const RESOURCE_TYPES = [
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    schema: CORE_USER,
    schemaExtensions: [
      { schema: ENTERPRISE_USER, required: false },
      { schema: KNOWBE4_USER, required: false },
    ],
    meta: { resourceType: 'ResourceType', location: '/ResourceTypes/User' },
  },
  {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: 'Group',
    name: 'Group',
    endpoint: '/Groups',
    schema: CORE_GROUP,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: '/ResourceTypes/Group' },
  },
];

export const SERVICE_PROVIDER_CONFIG = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
  documentationUri: 'https://support.knowbe4.com/hc/en-us/articles/360050582354',
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 1000 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'SCIM token from the KnowBe4 console', primary: true },
  ],
  meta: { resourceType: 'ServiceProviderConfig', location: '/ServiceProviderConfig' },
};
