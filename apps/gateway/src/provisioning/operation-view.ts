import type { OperationEntity } from '@kb4/persistence';

// The JSON form of an operation is shared with the CLI, so it lives next to the entity.
export { isFinished, operationView, type OperationView } from '@kb4/persistence';

/** `Prefer: wait=N` (RFC 7240), capped at 30 s; undefined when absent. */
export function preferredWaitSeconds(header: string | string[] | undefined): number | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d+)"?/i.exec(text);
  return match ? Math.min(30, Number(match[1])) : undefined;
}

/** Opaque keyset cursor over (created_at, id) for GET /operations. */
export function encodeOperationCursor(operation: Pick<OperationEntity, 'createdAt' | 'id'>): string {
  return Buffer.from(`${operation.createdAt.toISOString()}|${operation.id}`).toString('base64url');
}

export function decodeOperationCursor(cursor: string): { createdAt: Date; id: string } | null {
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(time ?? '');
  if (Number.isNaN(createdAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id ?? '')) return null;
  return { createdAt, id };
}
