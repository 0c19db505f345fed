import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import type { ValidatorOptions } from '@nestjs/common/interfaces/external/validator-options.interface';
import { compiledCheck } from '@kb4/contracts';
import { ApiError } from '@kb4/platform';
import { findHostileValue, hostileValueError, JSON_BODY_LIMITS } from './hostile-input';

export interface FieldProblem {
  field: string;
  location: string;
  errors: string[];
}

/** Flattens class-validator's tree into `{field: 'a.b', errors}` rows. */
export function flattenValidationErrors(errors: ValidationError[], prefix = ''): Array<{ field: string; errors: string[]; unknown: boolean }> {
  return errors.flatMap((error) => {
    const field = `${prefix}${error.property}`;
    const constraints = error.constraints ?? {};
    const own = Object.keys(constraints).length
      ? [{ field, errors: Object.values(constraints), unknown: 'whitelistValidation' in constraints }]
      : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], `${field}.`)];
  });
}

class ValidationFailure extends Error {
  constructor(readonly problems: Array<{ field: string; errors: string[]; unknown: boolean }>) {
    super('validation failed');
  }
}

// What the pipe's options below mean to class-validator (whitelist + forbidNonWhitelisted, forbidUnknownValues off).
const GATEWAY_CHECK = { forbidNonWhitelisted: true, forbidUnknownValues: false };

const LOCATION_NAMES: Record<string, string> = { query: 'query parameter', body: 'body field', param: 'path parameter' };

/**
 * The gateway's one ValidationPipe: whitelist + forbidNonWhitelisted + transform, field-level `details`, and
 * unknown parameters named in the message (`unknown query parameter(s): colour`).
 */
@Injectable()
export class GatewayValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      forbidUnknownValues: false, // lets an empty DTO (NoQueryParams) reject every parameter by name
      validationError: { target: false, value: false },
      exceptionFactory: (errors) => new ValidationFailure(flattenValidationErrors(errors)),
    });
  }

  /**
   * The request's DTO instance checked by its compiled class-validator metadata (compiledCheck: the same constraints,
   * without class-validator's per-call cost); only what that does not pass goes through class-validator, which then
   * produces the one error tree every 400 is built from.
   */
  protected override validate(object: object, validatorOptions?: ValidatorOptions): Promise<ValidationError[]> | ValidationError[] {
    if (compiledCheck(object.constructor as new () => object, GATEWAY_CHECK)?.(object)) return [];
    return super.validate(object, validatorOptions);
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // NUL, control characters and over-long strings in a query or path parameter: a 400 naming it, before any lookup
    // (bodies were checked the same way by JsonBodyMiddleware)
    if (metadata.type === 'query' || metadata.type === 'param') {
      const hostile = findHostileValue(value, { ...JSON_BODY_LIMITS, lineBreaks: false });
      if (hostile) {
        const field = hostile.field === '(value)' ? (metadata.data ?? hostile.field) : metadata.data ? `${metadata.data}.${hostile.field}` : hostile.field;
        throw hostileValueError({ field, reason: hostile.reason }, metadata.type);
      }
    }
    // a JSON body must be an object: arrays and scalars would slip past class-level validation
    if (metadata.type === 'body' && this.toValidate(metadata) && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw new ApiError(400, 'the request body must be a JSON object');
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof ValidationFailure)) throw error;
      throw toApiError(error.problems, metadata.type);
    }
  }
}

function toApiError(problems: ValidationFailure['problems'], type: string): ApiError {
  const location = LOCATION_NAMES[type] ?? type;
  const unknown = problems.filter((p) => p.unknown).map((p) => p.field);
  const invalid = problems.filter((p) => !p.unknown);
  const parts = [
    ...(unknown.length ? [`unknown ${location}(s): ${unknown.join(', ')}`] : []),
    ...invalid.map((p) => p.errors.join('; ')),
  ];
  const details: FieldProblem[] = problems.map((p) => ({ field: p.field, location: type, errors: p.errors }));
  return new ApiError(400, parts.join('; ') || 'validation failed', details);
}
