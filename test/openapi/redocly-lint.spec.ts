import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const ROOT = resolve(__dirname, '../..');
const REDOCLY = resolve(ROOT, 'node_modules/@redocly/cli/bin/cli.js');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
}

/** `redocly lint openapi.json` with redocly.yaml (the recommended ruleset), as its JSON report. */
async function lintOpenApi(): Promise<LintReport> {
  const run = execFile(process.execPath, [REDOCLY, 'lint', 'openapi.json', '--config', 'redocly.yaml', '--format', 'json'], {
    cwd: ROOT,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  // exit code 1 when problems are found: the report on stdout is what we read either way
  const stdout = await promisify((done: (error: Error | null, out: string) => void) => {
    let out = '';
    run.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
    run.once('error', (error) => done(error, out));
    run.once('close', () => done(null, out));
  })();
  return JSON.parse(stdout) as LintReport;
}

describe('openapi.json against an independent linter (redocly, recommended rules)', () => {
  it('has no error and no warning', async () => {
    const report = await lintOpenApi();
    const problems = report.problems.map((problem) => `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`);
    expect(problems).toEqual([]);
    // .redocly.lint-ignore.yaml holds exactly the probes' operation-4xx-response (it explains why); nothing else may hide there
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 2 });
  });
});
