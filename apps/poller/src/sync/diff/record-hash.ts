import { hash } from 'node:crypto';

/**
 * Fingerprint of a fetched record as KnowBe4 sent it (plus whatever else feeds its unified form, e.g. the
 * names of its groups). It only decides "unchanged, skip"; a different hash goes through normalization and the
 * full field diff, which decide the events. One-shot `crypto.hash` over one string: no Hash object per record.
 */
export function fetchedRecordHash(record: unknown, extra = ''): string {
  return hash('sha1', extra === '' ? JSON.stringify(record) : `${JSON.stringify(record)}\u0000${extra}`, 'base64');
}

/** Digest of a string that names a page's content (base64 sha1, like the record fingerprints). */
export function pageFingerprint(text: string): string {
  return hash('sha1', text, 'base64');
}

/** The id of a fetched entry without normalizing it (a safe non-negative integer, as a string), else null. */
export function remoteIdOf(raw: unknown, field: 'id' | 'enrollment_id' = 'id'): string | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const value = (raw as Record<string, unknown>)[field];
  const id = typeof value === 'number' ? value : typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(id) && id >= 0 ? String(id) : null;
}
