import { request } from 'node:http';

/**
 * Sends the path exactly as given (fetch and undici normalise dot segments before sending; attackers do not).
 * A Server-Sent Events answer resolves at its headers with an empty body (the stream itself never ends).
 */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, method: options.method ?? 'GET', headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
          // a live stream never ends: its status and headers are the answer; hang up
          resolve({ status: res.statusCode ?? 0, body: '', headers: res.headers });
          res.destroy();
          return;
        }
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}
