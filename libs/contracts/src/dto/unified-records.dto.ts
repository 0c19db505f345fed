import type { UnifiedGroup, UnifiedUser } from '../unified/unified-records';
import { IsArray, IsIn, IsNotEmpty, IsString } from 'class-validator';

/**
 * Light structural checks of a unified record inside an event: identity and status are checked, the
 * rest travels as produced by `@kb4/mapping` (other fields are kept, not stripped).
 */
export class UnifiedUserRecordDto implements Pick<UnifiedUser, 'id' | 'status' | 'emails' | 'groups'> {
  @IsString()
  @IsNotEmpty()
  id!: string;

  @IsIn(['active', 'inactive'])
  status!: UnifiedUser['status'];

  @IsArray()
  emails!: UnifiedUser['emails'];

  @IsArray()
  groups!: UnifiedUser['groups'];

  [field: string]: unknown;
}

export class UnifiedGroupRecordDto implements Pick<UnifiedGroup, 'id' | 'name' | 'status'> {
  @IsString()
  @IsNotEmpty()
  id!: string;

  @IsString()
  name!: string;

  @IsIn(['active', 'inactive'])
  status!: UnifiedGroup['status'];

  [field: string]: unknown;
}
