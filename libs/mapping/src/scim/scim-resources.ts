/**
 * Schema URNs of SCIM 2.0 resources (RFC 7643/7644) and of KnowBe4's enterprise and kmsat extensions. They live
 * here, in the pure mapping lib that writes them, so mapping needs only types from the SCIM client; the client
 * (@kb4/knowbe4) imports them from here. The resource types themselves are the client's wire types.
 */
export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User' as const;
export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group' as const;
export const SCIM_ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User' as const;
export const SCIM_KNOWBE4_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:knowbe4:kmsat:2.0:User' as const;
export const SCIM_LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse' as const;
export const SCIM_PATCH_OP_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp' as const;
export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error' as const;
