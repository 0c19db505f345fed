import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port';
import { nodeArgsForTypeScript } from '../../support/precompile';

const root = resolve(__dirname, '../../..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One free port for each process `npm start` runs, by the env variable that sets it. */
export async function freeStackPorts(): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const name of ['GATEWAY_PORT', 'POLLER_PORT', 'PROVISIONER_PORT', 'WEBHOOK_DISPATCHER_PORT', 'AUTOMATIONS_PORT', 'SANDBOX_PORT']) ports[name] = await freePort();
  return ports;
}

/**
 * Spawns `npm start` (scripts/start.ts) from the repository root with `env` over this process's environment and
 * `ports` as their env variables; every chunk it writes to stdout or stderr goes to `onOutput`.
 */
export function spawnNpmStart(env: Record<string, string>, ports: Record<string, number>, onOutput: (chunk: string) => void): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgsForTypeScript(), 'scripts/start.ts'], {
    cwd: root,
    env: { ...process.env, ...env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
  return child;
}

/** Waits for `<localDir>/demo.json` and returns it parsed; fails (never hangs) if npm start exits first. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
export async function waitForDemo(localDir: string, child: ChildProcess, output: () => string): Promise<any> {
  const path = join(localDir, 'demo.json');
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`npm start exited with ${child.exitCode}:\n${output().slice(-5000)}`);
    await sleep(200);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The exit code once the child has exited (null after a signal); at once if it already has. */
export function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
