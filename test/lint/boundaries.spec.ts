import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Lints text as if it were the file at each path, with the repository's own eslint.config.mjs limited to the boundary
 * and size rules. Those need no type information, so the type-aware project service is off and the files need not
 * exist. ESLint loads its config with a dynamic import(), which jest's module sandbox refuses: it runs in a node child.
 */
const LINT_PROBE = `
import { ESLint } from 'eslint';
const cases = JSON.parse(process.argv[1]);
const eslint = new ESLint({
  cwd: process.cwd(),
  overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId.startsWith('boundaries/') || ruleId.startsWith('max-lines'),
});
const out = [];
for (const c of cases) {
  const [result] = await eslint.lintText(c.text, { filePath: c.filePath });
  out.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}
process.stdout.write(JSON.stringify(out));
`;

type Problem = { ruleId: string | null; message: string };

async function lintAll(cases: { filePath: string; text: string }[]): Promise<Problem[][]> {
  const args = ['--input-type=module', '-e', LINT_PROBE, JSON.stringify(cases.map((c) => ({ ...c, filePath: path.join(ROOT, c.filePath) })))];
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: ROOT, maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Problem[][];
}

const pending: { filePath: string; text: string }[] = [];
let results: Problem[][] = [];
/** Registers a file to lint in the one batch beforeAll runs; the returned function reads its problems. */
function probe(filePath: string, text: string): () => Problem[] {
  const index = pending.push({ filePath, text }) - 1;
  return () => results[index];
}

const SQL = "import type { DataSource } from 'typeorm';\nexport const ping = (ds: DataSource) => ds.query('select 1');\n";
const GATEWAY_INTERNAL = "export { operationView } from '../../apps/gateway/src/provisioning/operation-view';\n";
const cases = {
  contractsImportsMapping: probe('libs/contracts/src/boundary-probe.ts', "import type { UnifiedUser } from '@kb4/mapping';\nexport type U = UnifiedUser;\n"),
  gatewayImportsPoller: probe('apps/gateway/src/accounts/boundary-probe.ts', "export { PollerModule } from '../../../poller/src/poller.module';\n"),
  mappingImportsType: probe('libs/mapping/src/boundary-probe.ts', "import type { ReportingUser } from '@kb4/knowbe4';\nexport type R = ReportingUser;\n"),
  mappingImportsValue: probe('libs/mapping/src/boundary-probe.ts', "import { ReportingClient } from '@kb4/knowbe4';\nexport const R = ReportingClient;\n"),
  sqlInApp: probe('apps/provisioner/src/boundary-probe.ts', SQL),
  sqlInTest: probe('test/provisioner/boundary-probe.spec.ts', SQL),
  sqlInPersistence: probe('libs/persistence/src/boundary-probe.ts', SQL),
  scriptImportsGateway: probe('scripts/local-stack/boundary-probe.ts', GATEWAY_INTERNAL),
  testImportsGateway: probe('test/gateway/boundary-probe.spec.ts', GATEWAY_INTERNAL),
};
const rulesOf = (problems: Problem[]) => problems.map((p) => p.ruleId);

beforeAll(async () => {
  results = await lintAll(pending);
}, 60_000);

describe('architecture boundaries in npm run lint', () => {
  it('refuses libs/contracts importing another lib, even a type, naming the rule', () => {
    expect(cases.contractsImportsMapping()).toEqual([
      { ruleId: 'boundaries/contracts-imports-no-lib', message: expect.stringMatching(/^boundaries\/contracts-imports-no-lib: /) },
    ]);
  });

  it('refuses an app importing another app by a relative path, naming both', () => {
    expect(cases.gatewayImportsPoller()).toEqual([
      { ruleId: 'boundaries/no-app-imports-app', message: expect.stringContaining('apps/gateway may not import apps/poller') },
    ]);
  });

  it('lets libs/mapping import types from another lib but not values', () => {
    expect(cases.mappingImportsType()).toEqual([]);
    expect(rulesOf(cases.mappingImportsValue())).toEqual(['boundaries/mapping-imports-types-only']);
  });

  it('refuses SQL outside libs/persistence but lets tests set up state with it', () => {
    expect(rulesOf(cases.sqlInApp())).toEqual(['boundaries/sql-only-in-persistence']);
    expect(cases.sqlInTest()).toEqual([]);
    expect(cases.sqlInPersistence()).toEqual([]);
  });

  it('lets tests import app internals that scripts may not', () => {
    expect(rulesOf(cases.scriptImportsGateway())).toEqual(['boundaries/scripts-use-no-app-internals']);
    expect(cases.testImportsGateway()).toEqual([]);
  });
});
