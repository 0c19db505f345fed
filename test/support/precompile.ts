import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const PRELOAD = join(__dirname, 'precompiled-typescript.js');
/** Where the TypeScript that spawned processes run lives (apps/console is a browser app built by vite, never spawned). */
const SOURCE_DIRS = ['apps', 'libs', 'scripts'];
const SKIP = /(^|\/)(node_modules|dist|console)(\/|$)|\.spec\.ts$|\.d\.ts$/;

interface SwcNodeRegister {
  compile(source: string, filename: string, options: object, async: true): Promise<string>;
}
interface SwcNodeTsconfig {
  readDefaultTsConfig(path: string): object;
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (SKIP.test(relative(ROOT, path))) return [];
    if (entry.isDirectory()) return typeScriptFiles(path);
    return entry.isFile() && entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Compiles the TypeScript of apps/, libs/ and scripts/ once for the test run into `outDir`, with @swc-node/register's
 * own compile() and the options its register() reads from tsconfig.json — the code each spawned process would
 * otherwise compile for itself. test/support/precompiled-typescript.js runs it (see `nodeArgsForTypeScript`).
 */
export async function precompileTypeScript(outDir: string): Promise<{ files: number; ms: number }> {
  const started = Date.now();
  const swcNodeRegister = dirname(require.resolve('@swc-node/register', { paths: [ROOT] }));
  /* eslint-disable @typescript-eslint/no-require-imports -- @swc-node/register exports only its side-effect entry point */
  const { compile } = require(join(swcNodeRegister, 'lib/register.js')) as SwcNodeRegister;
  const { readDefaultTsConfig } = require(join(swcNodeRegister, 'lib/read-default-tsconfig.js')) as SwcNodeTsconfig;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const tsconfig = join(ROOT, 'tsconfig.json');
  const options = { ...readDefaultTsConfig(tsconfig), module: 1 /* ts.ModuleKind.CommonJS, as register() sets it */ };
  const sources = SOURCE_DIRS.flatMap((dir) => typeScriptFiles(join(ROOT, dir)));
  const files: Record<string, { size: number; mtimeMs: number }> = {};
  rmSync(outDir, { recursive: true, force: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sources.length) {
      const source = sources[next++];
      const { size, mtimeMs } = statSync(source);
      const code = await compile(readFileSync(source, 'utf8'), source, { ...options }, true);
      const target = join(outDir, `${relative(ROOT, source)}.js`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, code);
      files[source] = { size, mtimeMs };
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  writeFileSync(join(outDir, 'manifest.json'), JSON.stringify({ root: ROOT, tsconfig, swcNodeRegister, files }));
  return { files: sources.length, ms: Date.now() - started };
}

/**
 * The node flags a test puts before a TypeScript entry point it spawns: the run's precompiled JavaScript when global
 * setup built it (KB4_PRECOMPILED_DIR; not with KB4_TEST_PRECOMPILE=off), else @swc-node/register as `npm start` uses.
 */
export function nodeArgsForTypeScript(): string[] {
  return ['-r', process.env.KB4_PRECOMPILED_DIR ? PRELOAD : '@swc-node/register'];
}
