import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';

export interface SandboxTenantInfo {
  id: string;
  region: 'us' | 'eu' | 'ca' | 'uk' | 'de';
  reporting_api_key: string;
  scim_token: string;
  reporting_base_url: string;
  scim_base_url: string;
}

export interface SandboxProcess {
  url: string;
  tenants: SandboxTenantInfo[];
  pid: number;
  stop(): Promise<void>;
}

/** Runs the sandbox in its own process (its own core), as a user would with `npm run sandbox`. */
export function startSandboxProcess(args: string[]): Promise<SandboxProcess> {
  const root = resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/knowbe4-sandbox/src/main.ts', '--port', '0', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`sandbox exited before it was ready (code ${code}, signal ${signal})`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{"sandbox_url"')) return;
      const handshake = JSON.parse(line) as { sandbox_url: string; tenants: SandboxTenantInfo[] };
      child.removeAllListeners('exit');
      resolvePromise({
        url: handshake.sandbox_url,
        tenants: handshake.tenants,
        pid: child.pid!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
