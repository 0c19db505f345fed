import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SupervisedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the last line of stdout that parses as JSON (used for the sandbox's handshake). */
  firstJsonLine: Promise<Record<string, unknown>>;
  stop(graceMs?: number): Promise<void>;
}

const REGISTER = ['-r', '@swc-node/register'];

/** Runs a TypeScript entry point as a child process, prefixing its output with its name. */
export function spawnService(
  name: string,
  entry: string,
  options: { args?: string[]; env?: NodeJS.ProcessEnv; cwd: string; echo: (line: string) => void },
): SupervisedProcess {
  const child = spawn(process.execPath, [...REGISTER, entry, ...(options.args ?? [])], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let resolveJson: (value: Record<string, unknown>) => void = () => undefined;
  let rejectJson: (error: Error) => void = () => undefined;
  const firstJsonLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    resolveJson = resolve;
    rejectJson = reject;
  });
  firstJsonLine.catch(() => undefined);
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line.startsWith('{"sandbox_url"')) {
      try {
        resolveJson(JSON.parse(line) as Record<string, unknown>);
        return;
      } catch {
        /* not the handshake */
      }
    }
    options.echo(`[${name}] ${line}`);
  });
  createInterface({ input: child.stderr }).on('line', (line) => options.echo(`[${name}] ${line}`));
  child.once('exit', (code, signal) => rejectJson(new Error(`${name} exited (code ${code}, signal ${signal})`)));
  return {
    name,
    child,
    firstJsonLine,
    stop: (graceMs = 10_000) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** Polls an HTTP endpoint until it answers 2xx, or fails when the process dies first. */
export async function waitForHttp(url: string, processToWatch: SupervisedProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processToWatch.child.exitCode !== null || processToWatch.child.signalCode !== null) {
      throw new Error(`${processToWatch.name} exited before ${url} answered`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}
