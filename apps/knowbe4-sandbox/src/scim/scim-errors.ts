import type { Response } from 'express';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

export type ScimType = 'invalidSyntax' | 'invalidFilter' | 'uniqueness' | 'invalidValue' | 'noTarget' | 'mutability' | 'invalidPath';

/** Thrown by SCIM handlers; rendered in the RFC 7644 §3.12 error schema. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
  }
}

export const scimErrorBody = (status: number, detail: string, scimType?: ScimType) => ({
  schemas: [SCIM_ERROR_SCHEMA],
  ...(scimType ? { scimType } : {}),
  detail,
  status: String(status),
});

export function sendScimError(res: Response, status: number, detail: string, scimType?: ScimType): void {
  res.status(status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(scimErrorBody(status, detail, scimType)));
}
