import type { LoggerOptions, Logger as TypeOrmLogger } from 'typeorm';

type Sink = (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string) => void;

const FIELDS = ['code', 'table', 'column', 'constraint', 'routine'] as const;

/**
 * TypeORM's logger for every data source: whatever `logging` is set to, it never writes a statement's parameters or
 * its text (values may be inlined), only the SQLSTATE, table, column and constraint of a failure and a message with
 * the values Postgres quoted cut off. `logging` chooses what is written, as TypeORM's own option does (a custom
 * logger gets every call); `sink` is where lines go (default: one JSON line on stderr).
 */
export class ParameterFreeTypeOrmLogger implements TypeOrmLogger {
  constructor(
    private readonly logging: LoggerOptions = false,
    private readonly sink: Sink = (level, fields, message) => process.stderr.write(`${JSON.stringify({ level, component: 'typeorm', ...fields, msg: message })}\n`),
  ) {}

  private enabled(kind: 'error' | 'warn' | 'info' | 'log' | 'schema' | 'migration'): boolean {
    return this.logging === true || this.logging === 'all' || (Array.isArray(this.logging) && (this.logging as string[]).includes(kind));
  }

  logQuery(): void {}

  logQueryError(error: string | Error): void {
    if (!this.enabled('error')) return;
    const fields: Record<string, unknown> = {};
    for (const field of FIELDS) {
      const value = typeof error === 'object' ? (error as unknown as Record<string, unknown>)[field] : undefined;
      if (typeof value === 'string') fields[field] = value;
    }
    const message = typeof error === 'string' ? error : error.message;
    this.sink('error', fields, `query failed: ${valueFree(message)}`);
  }

  logQuerySlow(time: number): void {
    this.sink('warn', { duration_ms: time }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    if (this.enabled('schema')) this.sink('info', {}, message);
  }

  logMigration(message: string): void {
    if (this.enabled('migration')) this.sink('info', {}, message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (!this.enabled(level)) return;
    this.sink(level === 'warn' ? 'warn' : 'info', {}, valueFree(String(message)));
  }
}

/** Postgres quotes values after a colon (`invalid input syntax for type uuid: "…"`); keep what comes before. */
function valueFree(message: string): string {
  const firstLine = message.split('\n')[0];
  const cut = firstLine.search(/:\s*["']/);
  return (cut >= 0 ? `${firstLine.slice(0, cut)}: [value removed]` : firstLine).replace(/\([^)]*\)=\(.*$/, '[values removed]').slice(0, 500);
}
