import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * What the SCIM passthrough forwards, for OpenAPI only: the proxy sends the body to KnowBe4 unchanged (any SCIM
 * attribute KnowBe4 knows is accepted), so these list the common attributes without restricting the others.
 */
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

class ScimNameBody {
  @ApiPropertyOptional({ example: 'Grace' }) givenName?: string;
  @ApiPropertyOptional({ example: 'Hopper' }) familyName?: string;
}

class ScimEmailBody {
  @ApiProperty({ format: 'email', example: 'grace.hopper@example.com' }) value!: string;
  @ApiPropertyOptional({ enum: ['work'], example: 'work' }) type?: string;
  @ApiPropertyOptional({ example: true }) primary?: boolean;
}

/** POST …/scim/Users and PUT …/scim/Users/{id}: a SCIM 2.0 User resource (RFC 7643 §4.1). */
export class ScimUserBody {
  @ApiProperty({ type: [String], example: [USER_SCHEMA] }) schemas!: string[];
  @ApiProperty({ format: 'email', description: 'The KnowBe4 login (primary email)', example: 'grace.hopper@example.com' }) userName!: string;
  @ApiPropertyOptional({ type: ScimNameBody }) name?: ScimNameBody;
  @ApiPropertyOptional({ type: [ScimEmailBody] }) emails?: ScimEmailBody[];
  @ApiPropertyOptional({ example: 'Rear Admiral' }) title?: string;
  @ApiPropertyOptional({ description: 'Your own id; KnowBe4 shows it as provisioning_guid', example: 'emp-1906' }) externalId?: string;
  @ApiPropertyOptional({ description: 'false archives the user in KnowBe4', example: true }) active?: boolean;
}

class ScimPatchOperationBody {
  @ApiProperty({ enum: ['add', 'replace', 'remove'], example: 'replace' }) op!: string;
  @ApiPropertyOptional({ description: 'The attribute path (RFC 7644 §3.5.2)', example: 'title' }) path?: string;
  @ApiPropertyOptional({
    description: 'The new value (any JSON)',
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { type: 'object', additionalProperties: true }, { type: 'array', items: {} }],
    example: 'Commodore',
  })
  value?: unknown;
}

/** PATCH …/scim/Users/{id} and …/scim/Groups/{id}: a SCIM 2.0 PatchOp (RFC 7644 §3.5.2). */
export class ScimPatchBody {
  @ApiProperty({ type: [String], example: [PATCH_SCHEMA] }) schemas!: string[];
  @ApiProperty({ type: [ScimPatchOperationBody], minItems: 1 }) Operations!: ScimPatchOperationBody[];
}
