import { createHash } from 'node:crypto';
import { cursorLayout, cursorModeBody, isBareArray, pageModeBody } from './list-body';

const sha1 = (text: string): string => createHash('sha1').update(text).digest('base64');
/** A body split into chunks of `size` bytes, as a socket may deliver it. */
const chunked = (text: string, size = text.length): Buffer[] => {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
  return chunks;
};
const unparsed = (): never => {
  throw new Error('parsed');
};

describe('list bodies read without parsing', () => {
  const records = '[{"id":1,"name":"a"},{"id":2,"groups":[3],"_metadata":{"next_cursor":"inner"}}]';

  it.each([1, 3, 16, 4096])('reads the cursor and fingerprints the data bytes of a cursor page (chunks of %i bytes)', (size) => {
    const text = `{"data":${records},"_metadata":{"next_cursor":"abc=="}}`;
    const body = cursorModeBody(chunked(text, size), unparsed, 1);
    expect(body.nextCursor).toBe('abc==');
    // the very digest page mode stores for the same records
    expect(body.fingerprint).toBe(sha1(records));
    expect(body.fingerprint).toBe(pageModeBody(chunked(records, size), unparsed, 1).fingerprint);
  });

  it('reads a null or empty next_cursor as the end of the list', () => {
    for (const cursor of ['null', '""']) {
      expect(cursorModeBody(chunked(`{"data":${records},"_metadata":{"next_cursor":${cursor}}}`), unparsed, 1).nextCursor).toBe('');
    }
  });

  it('fingerprints records, not cursors: the same records under another cursor are the same page', () => {
    const a = cursorModeBody(chunked(`{"data":${records},"_metadata":{"next_cursor":"c1-2026-11-01T10:00"}}`), unparsed, 1);
    const b = cursorModeBody(chunked(`{"data":${records},"_metadata":{"next_cursor":"c1-2026-11-01T10:15"}}`), unparsed, 1);
    expect(a.fingerprint).toBe(b.fingerprint);
  });

  it.each([
    ['metadata first', `{"_metadata":{"next_cursor":"x"},"data":${records}}`, 'x'],
    ['spaces', `{ "data": ${records}, "_metadata": { "next_cursor": "x" } }`, 'x'],
    ['another key after data', `{"data":${records},"total":2,"_metadata":{"next_cursor":"x"}}`, 'x'],
    ['no metadata at all', `{"data":${records}}`, ''],
  ])('parses a body laid out differently (%s) and still finds its cursor and records', (_name, text, cursor) => {
    expect(cursorLayout(chunked(text))).toBeUndefined();
    const body = cursorModeBody(chunked(text), () => JSON.parse(text) as unknown, 1);
    expect(body.nextCursor).toBe(cursor);
    expect(body.records()).toEqual(JSON.parse(records));
    expect(body.fingerprint).toBe(sha1(JSON.stringify(JSON.parse(records))));
  });

  it('tells a bare array from a cursor body by its first byte', () => {
    expect(isBareArray(chunked(` \n${records}`, 1))).toBe(true);
    expect(isBareArray(chunked(`{"data":${records}}`))).toBe(false);
    expect(isBareArray([])).toBe(false);
  });

  it('refuses a cursor body without a data array when its records are read', () => {
    const text = '{"error":"x","_metadata":{"next_cursor":""}}';
    expect(() => cursorModeBody(chunked(text), () => JSON.parse(text) as unknown, 4)).toThrow(/page 4 without a data array/);
  });
});
