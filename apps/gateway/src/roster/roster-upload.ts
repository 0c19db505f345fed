import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser } from 'csv-parse';
import { ApiError } from '@kb4/platform';
import { exceedsJsonDepth } from '../http/hostile-input';
import { csvRecordToRosterUser, rosterCsvHeader } from './roster-csv';
import { RosterJsonSplitter } from './roster-json-rows';

export type RosterFormat = 'json' | 'ndjson' | 'csv';

export interface RosterUploadLimits {
  maxBodyBytes: number;
  maxRowBytes: number;
  maxRows: number;
}

/** One row of an upload: the user object, or why the row could not be read (a row error, not a failed upload). */
export interface UploadedRosterRow {
  line: number;
  value?: Record<string, unknown>;
  error?: { field: string; reason: string };
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;
// a user row nests at most emails[].{…} inside the row object
const MAX_ROW_DEPTH = 4;

/** The upload's format from its content type: 415 for anything else, or a charset other than UTF-8. */
export function rosterFormatOf(contentType: string | undefined): RosterFormat {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  const charset = CHARSET.exec(contentType ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw new ApiError(415, `unsupported charset "${charset.slice(0, 40)}"; send UTF-8`);
  if (type === 'application/json') return 'json';
  if (type === 'application/x-ndjson' || type === 'application/jsonl') return 'ndjson';
  if (type === 'text/csv') return 'csv';
  throw new ApiError(415, 'a roster is application/json ({"users": [...]}), application/x-ndjson (one user a line) or text/csv (header row)');
}

/** The body as UTF-8 text chunks, refusing more than maxBodyBytes (413) and invalid UTF-8 (400). */
async function* textOf(body: AsyncIterable<Buffer | string>, maxBodyBytes: number): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  let bytes = 0;
  try {
    for await (const chunk of body) {
      const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      bytes += buffer.length;
      if (bytes > maxBodyBytes) throw new ApiError(413, `the roster is larger than ${maxBodyBytes} bytes (ROSTER_MAX_BODY_BYTES)`);
      const text = decoder.decode(buffer, { stream: true });
      if (text) yield text;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  } catch (error) {
    if (error instanceof TypeError) throw new ApiError(400, 'the roster is not valid UTF-8');
    throw error;
  }
}

/** One JSON row's text as an object, or the row error. */
export function parseRowText(line: number, text: string): UploadedRosterRow {
  if (exceedsJsonDepth(Buffer.from(text), MAX_ROW_DEPTH)) return { line, error: { field: '(row)', reason: `must nest at most ${MAX_ROW_DEPTH} levels` } };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { line, error: { field: '(row)', reason: 'is not valid JSON' } };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { line, error: { field: '(row)', reason: 'must be a JSON object (one user)' } };
  return { line, value: value as Record<string, unknown> };
}

async function* jsonRows(text: AsyncIterable<string>, limits: RosterUploadLimits): AsyncGenerator<UploadedRosterRow> {
  const splitter = new RosterJsonSplitter(limits.maxRowBytes);
  for await (const chunk of text) for (const row of splitter.push(chunk)) yield parseRowText(row.line, row.text);
  splitter.end();
}

async function* ndjsonRows(text: AsyncIterable<string>, limits: RosterUploadLimits): AsyncGenerator<UploadedRosterRow> {
  let pending = '';
  let line = 0;
  const tooLong = (): ApiError => new ApiError(413, `line ${line + 1} is longer than ${limits.maxRowBytes} characters (ROSTER_MAX_ROW_BYTES)`);
  for await (const chunk of text) {
    pending += chunk;
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      line++;
      const row = pending.slice(0, newline).replace(/\r$/, '').replace(/^\ufeff/, '');
      pending = pending.slice(newline + 1);
      if (row.length > limits.maxRowBytes) throw tooLong();
      if (row.trim() !== '') yield parseRowText(line, row);
    }
    if (pending.length > limits.maxRowBytes) throw tooLong();
  }
  if (pending.trim() !== '') yield parseRowText(line + 1, pending);
}

/**
 * csv-parse's stream with each record pushed as its cells and the line it ends on. The parser pushes synchronously as it
 * parses, so its live `info.lines` is the record's own at that moment; `info: true` would copy the whole progress
 * object for every record, and `columns` would define each cell as a property — together a third of the parse.
 */
class LineNumberedCsvParser extends Parser {
  override push(record: unknown, encoding?: BufferEncoding): boolean {
    return super.push(record === null ? null : { line: this.info.lines, cells: record }, encoding);
  }
}

/** A data row's cells by the header's column names (checked names only, so no key is special). */
function csvRecord(columns: readonly string[], cells: readonly string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) record[columns[i]] = cells[i];
  return record;
}

async function* csvRows(text: AsyncIterable<string>, limits: RosterUploadLimits): AsyncGenerator<UploadedRosterRow> {
  // every record has the header's length (csv-parse refuses one that has not)
  const parser = new LineNumberedCsvParser({ bom: true, skip_empty_lines: true, max_record_size: limits.maxRowBytes });
  const feeding = pipeline(Readable.from(text), parser);
  feeding.catch(() => undefined); // its error reaches the loop below through the destroyed parser
  let columns: string[] | undefined;
  try {
    for await (const { line, cells } of parser as AsyncIterable<{ line: number; cells: string[] }>) {
      if (columns === undefined) columns = rosterCsvHeader(cells);
      else yield { line, value: csvRecordToRosterUser(csvRecord(columns, cells)) };
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const message = error instanceof Error ? error.message.slice(0, 300) : 'unreadable CSV';
    throw new ApiError(400, `the CSV roster cannot be read: ${message}`);
  }
  await feeding;
}

/**
 * The rows of a roster upload as they arrive, whatever its format; never more than one row (and one chunk) in memory.
 * Over-large bodies, rows or row counts are 413; a broken structure is 400; a broken row is a row error.
 */
export async function* readRosterRows(body: AsyncIterable<Buffer | string>, format: RosterFormat, limits: RosterUploadLimits): AsyncGenerator<UploadedRosterRow> {
  const text = textOf(body, limits.maxBodyBytes);
  const rows = format === 'json' ? jsonRows(text, limits) : format === 'ndjson' ? ndjsonRows(text, limits) : csvRows(text, limits);
  let count = 0;
  for await (const row of rows) {
    if (++count > limits.maxRows) throw new ApiError(413, `the roster has more than ${limits.maxRows} rows (ROSTER_MAX_ROWS)`);
    yield row;
  }
}
