import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, ArrayUnique, IsArray, IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import type { ApiKeyEntity, WorkspaceEntity } from '@kb4/persistence';
import { ALL_API_KEY_SCOPES, ApiKeyScope, isApiKeyScope } from '../auth/scopes';
import { PageLimit } from '../http/page-limit';

const NO_CONTROL_CHARACTERS = /^[^\p{Cc}]*$/u;

export class CreateWorkspaceDto {
  @ApiProperty({ description: "The product team's name for the workspace", example: 'HR platform team', minLength: 1, maxLength: 200 })
  @IsString()
  @Length(1, 200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  name!: string;
}

export class WorkspaceDto {
  @ApiProperty({ format: 'uuid', example: '5b0d6a4e-2f9a-4b8e-8a51-0c6c7f3d9e21' })
  id!: string;
  @ApiProperty({ example: 'HR platform team' })
  name!: string;
  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:00:00.000Z' })
  created_at!: string;
}

export class WorkspaceListDto {
  @ApiProperty({ type: [WorkspaceDto] })
  result!: WorkspaceDto[];
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Pass as next_cursor for the next page; null on the last page' })
  next_cursor!: string | null;
  @ApiProperty({ example: 1 })
  result_count!: number;
}

export class WorkspaceListQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 100, example: 100, description: 'Records per page' })
  @PageLimit(500)
  limit?: number;

  @ApiPropertyOptional({ description: 'The next_cursor of the previous page (opaque; keep limit unchanged while paging)' })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  next_cursor?: string;
}

export class CreateApiKeyDto {
  @ApiPropertyOptional({ description: 'What the key is for, to tell keys apart', example: 'hr-sync production', maxLength: 200, default: '' })
  @IsOptional()
  @IsString()
  @Length(0, 200)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'label must not contain control characters' })
  label?: string;

  @ApiProperty({
    description:
      'What the key may do: directory:read (users, groups, operations, account reads, proxy GET), directory:write (unified writes, ' +
      'operation retry, proxy writes), accounts:manage (connect, change, sync and disconnect integrated accounts; list and revoke ' +
      "the workspace's keys), webhooks:manage (webhook subscriptions). Scopes do not imply each other.",
    enum: ALL_API_KEY_SCOPES,
    isArray: true,
    minItems: 1,
    uniqueItems: true,
    example: ['directory:read'],
  })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(ALL_API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(ALL_API_KEY_SCOPES, { each: true, message: `each value in scopes must be one of: ${ALL_API_KEY_SCOPES.join(', ')}` })
  scopes!: ApiKeyScope[];
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid', example: '9c1f2e0a-7b3d-4c55-9a0e-1d2b3c4d5e6f' })
  id!: string;
  @ApiProperty({ format: 'uuid', example: '5b0d6a4e-2f9a-4b8e-8a51-0c6c7f3d9e21' })
  workspace_id!: string;
  @ApiProperty({ description: 'The first characters of the key, to recognise it', example: 'kb4_Xy3vQ9' })
  prefix!: string;
  @ApiProperty({ example: 'hr-sync production' })
  label!: string;
  @ApiProperty({ enum: ALL_API_KEY_SCOPES, isArray: true, example: ['directory:read'] })
  scopes!: ApiKeyScope[];
  @ApiProperty({ format: 'date-time', example: '2026-11-28T04:00:00.000Z' })
  created_at!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null, description: 'Recorded at most once a minute' })
  last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', example: null, description: 'Set once revoked; the key answers 401 at once' })
  revoked_at!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself: shown only in this response, stored only as a hash', example: 'kb4_Xy3vQ9mR2tLw8pZ4nB6cD1fG5hJ7kL0a' })
  key!: string;
}

export class ApiKeyListDto {
  @ApiProperty({ type: [ApiKeyDto], description: "All of the workspace's keys, revoked ones included, oldest first" })
  result!: ApiKeyDto[];
  @ApiProperty({ example: 1 })
  result_count!: number;
}

export function toWorkspaceDto(workspace: WorkspaceEntity): WorkspaceDto {
  return { id: workspace.id, name: workspace.name, created_at: workspace.createdAt.toISOString() };
}

export function toApiKeyDto(key: ApiKeyEntity): ApiKeyDto {
  return {
    id: key.id,
    workspace_id: key.workspaceId,
    prefix: key.keyPrefix,
    label: key.label,
    scopes: key.scopes.filter(isApiKeyScope),
    created_at: key.createdAt.toISOString(),
    last_used_at: key.lastUsedAt?.toISOString() ?? null,
    revoked_at: key.revokedAt?.toISOString() ?? null,
  };
}
