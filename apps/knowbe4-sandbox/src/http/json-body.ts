import type { Request } from 'express';

export class MalformedJsonError extends Error {}

const BODY_LIMIT = 5 * 1024 * 1024;

/** Reads a JSON request body (application/json or application/scim+json); malformed JSON rejects. */
export async function readJsonBody(req: Request): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) throw new MalformedJsonError('request body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedJsonError('Request body is not valid JSON');
  }
}
