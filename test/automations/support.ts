import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { waitFor } from '../poller/support';
import { freePort } from '../support/free-port';
import { nodeArgsForTypeScript } from '../support/precompile';

export interface AutomationsProcess {
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts apps/automations as a real process; resolves once it is ready (joined its consumer group). */
export async function startAutomationsProcess(env: Record<string, string>): Promise<AutomationsProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgsForTypeScript(), 'apps/automations/src/main.ts'], {
    cwd: resolve(__dirname, '../..'),
    env: { ...process.env, LOG_LEVEL: 'info', ...env, AUTOMATIONS_PORT: String(port), HTTP_HOST: '127.0.0.1', KAFKAJS_NO_PARTITIONER_WARNING: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  await waitFor(
    'the automations process to be ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`automations exited:\n${output}`);
      return fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok).catch(() => false);
    },
    90_000,
  );
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  return { child, output: () => output, stop };
}
