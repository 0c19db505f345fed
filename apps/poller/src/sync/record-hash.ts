import { createHash } from 'node:crypto';

/**
 * Fast fingerprint of a fetched record (plus whatever else feeds its unified form, e.g. group names). It only
 * decides "unchanged, skip"; a different hash goes through the full field diff, which decides the events.
 */
export function fetchedRecordHash(record: unknown, extra = ''): string {
  return createHash('sha1').update(JSON.stringify(record)).update('\u0000').update(extra).digest('base64');
}
