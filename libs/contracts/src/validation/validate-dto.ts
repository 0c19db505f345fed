import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { compiledCheck } from './compiled-check';

/** One invalid field: dotted path from the payload root (`user.emails.0.email`) and why it failed. */
export interface DtoFieldError {
  path: string;
  /** class-validator constraint name → message, e.g. `{ isEmail: 'user_name must be an email' }`. */
  constraints: Record<string, string>;
}

export type DtoValidationResult<T> = { ok: true; value: T } | { ok: false; errors: DtoFieldError[] };

export class DtoValidationError extends Error {
  constructor(
    readonly dtoName: string,
    readonly errors: DtoFieldError[],
  ) {
    super(`Invalid ${dtoName}: ${errors.map((error) => `${error.path || '(root)'}: ${Object.values(error.constraints).join(', ')}`).join('; ')}`);
    this.name = 'DtoValidationError';
  }
}

function flatten(errors: readonly ValidationError[], parentPath: string, into: DtoFieldError[]): DtoFieldError[] {
  for (const error of errors) {
    const path = parentPath ? `${parentPath}.${error.property}` : error.property;
    if (error.constraints && Object.keys(error.constraints).length > 0) into.push({ path, constraints: { ...error.constraints } });
    if (error.children && error.children.length > 0) flatten(error.children, path, into);
  }
  return into;
}

const VALIDATE_DTO_CHECK = { forbidNonWhitelisted: false, forbidUnknownValues: true };

/**
 * Validates a plain payload against a DTO class synchronously (safe inside a consumer loop, never throws).
 * Unknown properties are kept, so an older consumer accepts a newer producer's additions.
 */
export function validateDto<T extends object>(dto: ClassConstructor<T>, plain: unknown): DtoValidationResult<T> {
  if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) {
    return { ok: false, errors: [{ path: '', constraints: { isObject: `${dto.name} must be an object` } }] };
  }
  const instance = plainToInstance(dto, plain);
  // the compiled check answers the common valid case; class-validator itself names the errors of anything else
  if (compiledCheck(dto, VALIDATE_DTO_CHECK)?.(instance)) return { ok: true, value: instance };
  const errors = validateSync(instance, { forbidUnknownValues: true });
  return errors.length === 0 ? { ok: true, value: instance } : { ok: false, errors: flatten(errors, '', []) };
}

/** Like `validateDto` but throws `DtoValidationError`; for producers, where invalid output is a bug. */
export function assertValidDto<T extends object>(dto: ClassConstructor<T>, plain: unknown): T {
  const result = validateDto(dto, plain);
  if (!result.ok) throw new DtoValidationError(dto.name, result.errors);
  return result.value;
}
