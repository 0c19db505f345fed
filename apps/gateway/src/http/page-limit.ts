// class-transformer's @Type reads design:type metadata, which needs the Reflect polyfill loaded first.
import 'reflect-metadata';
import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidationOptions } from 'class-validator';

/**
 * Validation of a list's optional `limit` query parameter: a whole number from 1 to `max` (query strings arrive as
 * text, so it is converted first). The OpenAPI text stays with each list's own @ApiPropertyOptional.
 */
export function PageLimit(max: number, integer?: ValidationOptions): PropertyDecorator {
  return applyDecorators(
    IsOptional(),
    Type(() => Number),
    IsInt(integer),
    Min(1),
    Max(max),
  );
}
