import type { Dispatcher } from 'undici';

export type ResponseBody = Dispatcher.ResponseData['body'];

export function headerValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/** The whole body as UTF-8 text. */
export function readText(body: ResponseBody): Promise<string> {
  return body.text();
}

/** The body as it arrived, chunk by chunk, without copying it into one buffer. */
export async function readChunks(body: ResponseBody): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return chunks;
}

/** UTF-8 text of a body, without a byte-order mark (as undici's `text()` decodes it). */
export function utf8Text(bytes: Buffer): string {
  const start = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.toString('utf8', start);
}

/** An error body: JSON when it parses, else the text as it came; undefined when empty. */
export function parseErrorBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A 2xx body: undefined when empty, else JSON (throws the parser's error when it is not JSON). */
export function parseSuccessJson<T>(text: string): T {
  if (text === '') return undefined as T;
  return JSON.parse(text) as T;
}
