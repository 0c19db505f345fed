import { ChildProcess, spawn } from 'node:child_process';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { freePort } from '../support/free-port';
import { nodeArgsForTypeScript } from '../support/precompile';

export interface DispatcherProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL (no shutdown hooks, nothing recorded or committed) and wait for the exit. */
  kill(): Promise<void>;
}

/** Starts `apps/webhook-dispatcher/src/main.ts` as a real process; resolves once it is ready (joined its consumer group). */
export async function startDispatcherProcess(env: Record<string, string>): Promise<DispatcherProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgsForTypeScript(), 'apps/webhook-dispatcher/src/main.ts'], {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, LOG_LEVEL: 'info', ...env, WEBHOOK_DISPATCHER_PORT: String(port), HTTP_HOST: '127.0.0.1', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => reject(new Error(`dispatcher exited early (code ${code}, signal ${signal}):\n${output}`))),
  );
  const ready = (async () => {
    for (let attempt = 0; attempt < 900; attempt++) {
      try {
        if ((await fetch(`${url}/health/ready`)).ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`dispatcher did not become ready:\n${output}`);
  })();
  await Promise.race([ready, exited]);
  child.removeAllListeners('exit');
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill(signal);
    });
  return { url, child, output: () => output, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** The status to answer (and an optional delay); defaults to 200 at once. */
  answer: (request: { path: string; body: string; seen: number }) => { status: number; delayMs?: number };
  close(): Promise<void>;
}

/** A webhook endpoint on 127.0.0.1 that records every request; `seen` counts earlier requests with the same webhook-id. */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = { url: '', requests: [], answer: () => ({ status: 200 }), close: async () => undefined };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const id = request.headers['webhook-id'];
      const seen = receiver.requests.filter((r) => r.headers['webhook-id'] === id).length;
      const { status, delayMs } = receiver.answer({ path: request.url ?? '/', body, seen });
      receiver.requests.push({ path: request.url ?? '/', headers: request.headers, body, status });
      setTimeout(() => response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 300 ? `answered ${status}` : 'ok'), delayMs ?? 0);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = () => new Promise<void>((done) => server.close(() => done()));
  return receiver;
}
