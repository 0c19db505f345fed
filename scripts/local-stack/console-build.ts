import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** What the console's build is made of: when any of it is newer than the build, the build is stale. */
const CONSOLE_SOURCES = ['apps/console/index.html', 'apps/console/vite.config.mts', 'apps/console/src', 'libs/client/src'];

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce((newest, entry) => Math.max(newest, newestMtimeMs(join(path, entry))), stat.mtimeMs);
}

/** True when apps/console/dist is missing or older than a source file. */
export function consoleBuildIsStale(root: string): boolean {
  const built = join(root, 'apps/console/dist/index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return CONSOLE_SOURCES.some((source) => newestMtimeMs(join(root, source)) > builtAt);
}

/** Builds the console (vite) when it is missing or stale, so `npm start` serves the current one at /console. */
export async function ensureConsoleBuilt(root: string, log: (line: string) => void): Promise<void> {
  if (!consoleBuildIsStale(root)) return;
  log('console: building apps/console (vite)…');
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--config', 'apps/console/vite.config.mts'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the console build failed (exit ${code}):\n${output.slice(-4000)}`))));
  });
  log('console: built');
}
