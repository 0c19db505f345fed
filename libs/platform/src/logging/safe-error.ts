/**
 * What of an error may reach a log line (or an API answer, a run record, an event). A database error carries the
 * statement's parameters (TypeORM's QueryFailedError: `parameters`, `query`, `driverError`) and values in pg's
 * `detail` ("Key (email)=(...)"), `where`, `hint`, and in some messages (`invalid input syntax for type uuid: "..."`):
 * user data and encrypted credentials. Those never leave; the SQLSTATE, constraint, table, column and a message
 * with its values cut off do.
 */
const UNSAFE_FIELDS = new Set(['parameters', 'query', 'driverError', 'detail', 'where', 'hint', 'internalQuery', 'internalPosition', 'position', 'sql']);
const SAFE_DB_FIELDS = ['code', 'severity', 'schema', 'table', 'column', 'constraint', 'dataType', 'routine'] as const;

/** A Postgres error (pg's DatabaseError, or TypeORM's QueryFailedError that copies its fields). */
export function isDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { code?: unknown; severity?: unknown; driverError?: unknown; name?: unknown };
  if (e.name === 'QueryFailedError' || e.driverError !== undefined) return true;
  return typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';
}

/**
 * A database message without the values Postgres quotes into some of them: everything after the first `: "` or
 * `: '` is dropped (`invalid input syntax for type uuid: "…"`), and any `(…)=(…)` key/value pair is cut.
 */
export function safeDatabaseMessage(message: string): string {
  const firstLine = message.split('\n')[0];
  const cut = firstLine.search(/:\s*["']/);
  const head = cut >= 0 ? `${firstLine.slice(0, cut)}: [value removed]` : firstLine;
  return head.replace(/\([^)]*\)=\(.*$/, '[values removed]').slice(0, 500);
}

/** The message of any error, safe to log, store or answer with. */
export function safeErrorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 500);
  return isDatabaseError(error) ? safeDatabaseMessage(error.message) : error.message;
}

/** A plain object for a log line: database errors reduced to their safe fields, other errors minus any unsafe field. */
export function safeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error, message: safeErrorMessage(error) };
  const database = isDatabaseError(error);
  const message = safeErrorMessage(error);
  const out: Record<string, unknown> = { type: error.constructor?.name ?? error.name, message };
  if (database) {
    for (const field of SAFE_DB_FIELDS) {
      const value = (error as unknown as Record<string, unknown>)[field];
      if (typeof value === 'string') out[field] = value;
    }
  } else {
    for (const [key, value] of Object.entries(error)) {
      if (UNSAFE_FIELDS.has(key) || key === 'cause' || key in out) continue;
      out[key] = value instanceof Error ? safeError(value, depth + 1) : value;
    }
  }
  // the stack's first lines repeat the message: keep only the frames
  if (typeof error.stack === 'string') {
    const frames = error.stack.split('\n').filter((line) => /^\s+at /.test(line));
    out.stack = [`${error.name}: ${message}`, ...frames].join('\n');
  }
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && depth < 3) out.cause = safeError(cause, depth + 1);
  return out;
}

/**
 * pino's `logMethod` hook body: an Error passed alone, or any top-level Error value of the log object, is replaced
 * by its safe form before pino serializes it (pino would otherwise use an error's message as the line's `msg`).
 */
export function withSafeErrors(args: unknown[]): unknown[] {
  const [first, ...rest] = args;
  if (first instanceof Error) {
    return [{ err: safeError(first) }, ...(rest.length > 0 ? rest : [safeErrorMessage(first)])];
  }
  if (typeof first !== 'object' || first === null || Array.isArray(first)) return args;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(first)) {
    if (!(value instanceof Error)) continue;
    copy ??= { ...(first as Record<string, unknown>) };
    copy[key] = safeError(value);
  }
  if (!copy) return args;
  // pino takes `msg` from `err.message` when no message is given
  const err = (first as { err?: unknown }).err;
  return [copy, ...(rest.length > 0 ? rest : err instanceof Error ? [safeErrorMessage(err)] : [])];
}
