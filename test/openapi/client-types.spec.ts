import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');

/**
 * libs/client's types as `npm run openapi` generates them from the committed openapi.json. In a node process of its
 * own: openapi-typescript loads ES modules, which node requires natively but jest's module loader cannot.
 */
async function generatedClientTypes(): Promise<{ path: string; types: string }> {
  const script = [
    "const { readFileSync } = require('node:fs');",
    "const { CLIENT_TYPES_PATH, generateClientTypes } = require('./apps/gateway/src/docs/generate-client-types');",
    "generateClientTypes(readFileSync('openapi.json', 'utf8')).then((types) => process.stdout.write(JSON.stringify({ path: CLIENT_TYPES_PATH, types })));",
  ].join('\n');
  const { stdout } = await promisify(execFile)(process.execPath, ['-r', '@swc-node/register', '-e', script], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout) as { path: string; types: string };
}

describe('libs/client generated types', () => {
  it('are in step with openapi.json (run `npm run openapi` and commit both when this fails)', async () => {
    const { path, types } = await generatedClientTypes();
    expect(readFileSync(path, 'utf8')).toBe(types);
  });
});
