import { createHash } from 'node:crypto';

/** Fixed namespace of kb4-directory event ids (itself a random UUID, chosen once). */
export const KB4_EVENT_ID_NAMESPACE = '3f1c9b52-6d0a-4c8e-9b7e-5a2f4d1e8c60';

/** RFC 4122 §4.3 name-based UUID, version 5 (SHA-1). */
export function uuidV5(name: string, namespace: string): string {
  const namespaceBytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (namespaceBytes.length !== 16) throw new Error(`namespace is not a UUID: ${namespace}`);
  const bytes = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The same parts always give the same id, so a re-emitted logical change (a retried sync, a relayed
 * outbox row) is recognisable as a duplicate. Parts are JSON-encoded so `['a:b']` and `['a', 'b']` differ.
 * Typical parts: `[accountId, type, remoteId, contentHashAfter]`.
 */
export function deterministicEventId(parts: readonly string[]): string {
  return uuidV5(JSON.stringify(parts), KB4_EVENT_ID_NAMESPACE);
}
