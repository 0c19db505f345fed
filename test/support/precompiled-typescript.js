// Preloaded (`node -r`) into the processes the tests spawn instead of @swc-node/register: runs each .ts file from the
// JavaScript the test run's global setup compiled once with @swc-node/register's own compile() (test/support/
// precompile.ts), so a spawned service does not load the TypeScript compiler and compile its ~400 files again.
// Files keep their own path (__dirname, stack traces and relative reads are unchanged); a file edited since the
// build, or one that was not built, is compiled here exactly as @swc-node/register would.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const dir = process.env.KB4_PRECOMPILED_DIR;
if (!dir) throw new Error('precompiled-typescript.js needs KB4_PRECOMPILED_DIR (set by the test run\'s global setup)');
/** @type {{ root: string, tsconfig: string, swcNodeRegister: string, files: Record<string, { size: number, mtimeMs: number }> }} */
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

let swcNode;
/** @swc-node/register's compile with the options its register() would use: only loaded for a file not prebuilt. */
function compileLikeSwcNode(source, filename) {
  if (!swcNode) {
    const { compile } = require(join(manifest.swcNodeRegister, 'lib/register.js'));
    const { readDefaultTsConfig } = require(join(manifest.swcNodeRegister, 'lib/read-default-tsconfig.js'));
    const options = { ...readDefaultTsConfig(manifest.tsconfig), module: 1 /* ts.ModuleKind.CommonJS */ };
    swcNode = { compile, options };
  }
  return swcNode.compile(source, filename, { ...swcNode.options });
}

function prebuilt(filename) {
  const built = manifest.files[filename];
  if (!built) return undefined;
  const now = statSync(filename);
  if (now.size !== built.size || now.mtimeMs !== built.mtimeMs) return undefined;
  return readFileSync(join(dir, `${relative(manifest.root, filename)}.js`), 'utf8');
}

const loadJs = require.extensions['.js'];

function load(module, filename) {
  // like @swc-node/register (pirates' default), leave files under node_modules alone
  if (filename.includes('/node_modules/')) return loadJs(module, filename);
  const code = prebuilt(filename) ?? compileLikeSwcNode(readFileSync(filename, 'utf8'), filename);
  module._compile(code, filename);
}

for (const extension of ['.ts', '.tsx', '.mts', '.cts']) require.extensions[extension] = load;
