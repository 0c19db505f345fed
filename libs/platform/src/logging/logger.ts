import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import { withSafeErrors } from './safe-error';

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
  'ADMIN_TOKEN',
  'admin_token',
  'adminToken',
  'AUDIT_CHECKPOINT_KEY',
];

const redactPaths = SECRET_FIELD_NAMES.flatMap((name) => [name, `*.${name}`, `*.*.${name}`, `headers.${name}`]);

/** `destination` defaults to stdout (tests capture lines through it). */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // errors lose SQL parameters, query text and values quoted by Postgres before any serializer sees them
    hooks: {
      logMethod(args, method) {
        method.apply(this, withSafeErrors(args) as Parameters<typeof method>);
      },
    },
  };
  return destination ? pino(options, destination) : pino(options);
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
