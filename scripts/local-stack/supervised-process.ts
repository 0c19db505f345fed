import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface SupervisedProcess {
  name: string;
  child: ChildProcess;
  /** Resolves with the last line of stdout that parses as JSON (used for the sandbox's handshake). */
  firstJsonLine: Promise<Record<string, unknown>>;
  stop(graceMs?: number): Promise<void>;
}

/**
 * How a child runs TypeScript: with the modules this process was preloaded with (`npm start` runs it with
 * `-r @swc-node/register`; the tests with their precompiled build), else @swc-node/register.
 */
function preloadFlags(execArgv: string[]): string[] {
  const flags = execArgv.flatMap((arg, i) => {
    if (arg === '-r' || arg === '--require') return execArgv[i + 1] === undefined ? [] : ['-r', execArgv[i + 1]];
    return arg.startsWith('--require=') ? ['-r', arg.slice('--require='.length)] : [];
  });
  return flags.length ? flags : ['-r', '@swc-node/register'];
}
const REGISTER = preloadFlags(process.execArgv);

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

export interface RestartPolicy {
  /** First pause before a crashed service is started again; doubles per consecutive crash. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A service that stayed up this long starts its next backoff from the beginning again. */
  resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { initialDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 };

/** How the supervisor describes an exit: "signal SIGKILL" or "code 1". */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `signal ${signal}` : `code ${code}`;
}

/** The pause before restart number `consecutive` (1-based) of a service that keeps crashing. */
export function restartDelayMs(consecutive: number, policy: RestartPolicy): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, consecutive - 1));
}

/**
 * One service of the local stack, kept running: a child that exits unexpectedly is started again after an
 * exponential, capped backoff (reset once a child stayed up `resetAfterMs`), and every step is said in the output.
 * `spawn` is called for each start, so a restart picks up what changed meanwhile (e.g. a new broker list).
 */
export class SupervisedService {
  private current?: SupervisedProcess;
  private startedAt = 0;
  private consecutive = 0;
  private total = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private replacing = false;

  constructor(
    readonly name: string,
    private readonly spawnChild: () => SupervisedProcess,
    private readonly options: {
      log: (line: string) => void;
      policy?: RestartPolicy;
      /** Runs after each restart (not the first start), e.g. to wait for health or say what was reset. */
      afterRestart?: (service: SupervisedProcess) => Promise<void>;
    },
  ) {}

  get process(): SupervisedProcess | undefined {
    return this.current;
  }

  /** Starts the first child; later ones are started by the supervisor itself. */
  start(): SupervisedProcess {
    return this.launch();
  }

  /** Replaces a running child at once (no backoff), e.g. because its broker changed; resolves once the new one runs. */
  async replace(reason: string): Promise<void> {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.replacing = true;
    this.options.log(`${this.name}: restarting (${reason})`);
    try {
      await this.current?.stop();
    } finally {
      this.replacing = false;
    }
    if (!this.stopped) await this.restarted(this.launch());
  }

  /** Stops the child and any restart that is pending (Ctrl-C during a backoff). */
  async stop(graceMs?: number): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current?.stop(graceMs);
  }

  private launch(): SupervisedProcess {
    const child = this.spawnChild();
    this.current = child;
    this.startedAt = Date.now();
    this.options.log(`${this.name} started (pid ${child.child.pid})`);
    child.child.once('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onExit(child: SupervisedProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopped || this.replacing || this.current !== child) return;
    const policy = this.options.policy ?? DEFAULT_RESTART_POLICY;
    if (Date.now() - this.startedAt >= policy.resetAfterMs) this.consecutive = 0;
    this.consecutive += 1;
    this.total += 1;
    const delay = restartDelayMs(this.consecutive, policy);
    const restart = this.total;
    this.options.log(`${this.name} exited (${describeExit(code, signal)}); restarting in ${delay / 1000} s (restart ${restart})`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      void this.restarted(this.launch());
    }, delay);
  }

  private async restarted(child: SupervisedProcess): Promise<void> {
    try {
      await this.options.afterRestart?.(child);
    } catch (error) {
      // Its exit (if it died) is handled by onExit; anything else is only reported.
      if (!this.stopped && this.current === child && child.child.exitCode === null && child.child.signalCode === null) {
        this.options.log(`${this.name}: after restart: ${(error as Error).message}`);
      }
    }
  }
}
