import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/** Field names whose values are secrets wherever they appear in a log record. */
export const SECRET_FIELD_NAMES = [
  'authorization',
  'api_key',
  'apiKey',
  'reporting_api_key',
  'scim_token',
  'scimToken',
  'token',
  'password',
  'secret',
  'credentials',
  'CREDENTIALS_KEY',
];

const redactPaths = SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`, `headers.${name}`]);

export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** Lets NestJS write its own logs through pino so every line is structured and redacted. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
