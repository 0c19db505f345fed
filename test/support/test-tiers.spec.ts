import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { globsToMatcher, replacePathSepForGlob } from 'jest-util';

/**
 * The test tiers of jest.config.js (README, Development): a spec lands in its tier by where it lives and its name,
 * so nobody edits the config for a new file, and only the tiers that need them start Postgres and the broker.
 */
const root = resolve(__dirname, '../..');

interface Project {
  displayName: string;
  testMatch: string[];
  testPathIgnorePatterns?: string[];
  globalSetup?: string;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is plain CommonJS, read as jest reads it
const config = require(join(root, 'jest.config.js')) as { globalSetup?: string; projects: Project[] };

function tiersOf(path: string): string[] {
  const absolute = join(root, path);
  return config.projects
    .filter((project) => {
      const matches = globsToMatcher(project.testMatch.map((glob) => replacePathSepForGlob(glob.replace('<rootDir>', root))));
      const ignored = (project.testPathIgnorePatterns ?? []).some((pattern) => new RegExp(pattern.replace('<rootDir>', root)).test(absolute));
      return matches(replacePathSepForGlob(absolute)) && !ignored;
    })
    .map((project) => project.displayName);
}

function specsUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.spec.ts') && !entry.parentPath.includes('node_modules'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const allSpecs = ['apps', 'libs', 'test'].flatMap(specsUnder);

describe('test tiers (jest projects)', () => {
  it('puts every spec of the repository in exactly one tier', () => {
    expect(allSpecs.length).toBeGreaterThan(50);
    expect(allSpecs.map((path) => ({ path, tiers: tiersOf(path) })).filter(({ tiers }) => tiers.length !== 1)).toEqual([]);
  });

  it.each([
    ['apps/poller/src/sync/diff/new-thing.spec.ts', 'unit'],
    ['libs/mapping/src/deep/er/new-thing.spec.ts', 'unit'],
    ['libs/persistence/src/repositories/new-thing.int.spec.ts', 'integration'],
    ['test/poller/new-thing.spec.ts', 'integration'],
    ['apps/knowbe4-sandbox/test/new-thing.spec.ts', 'integration'],
    ['libs/knowbe4/test/new-thing.spec.ts', 'integration'],
    ['test/gateway/new-thing.e2e.spec.ts', 'e2e'],
    ['apps/gateway/src/new-thing.e2e.spec.ts', 'e2e'],
  ])('puts a new %s in the %s tier without a config change', (path, tier) => {
    expect(tiersOf(path)).toEqual([tier]);
  });

  it('starts Postgres and the broker only for the integration and e2e tiers, never for the unit tier', () => {
    expect(config.globalSetup).toBeUndefined();
    expect(Object.fromEntries(config.projects.map((project) => [project.displayName, project.globalSetup !== undefined]))).toEqual({
      unit: false,
      integration: true,
      e2e: true,
    });
  });

  it('has no unit spec that opens Postgres, Kafka or a child process itself (name it *.int.spec.ts or *.e2e.spec.ts)', () => {
    const outside = /from '(pg|kafkajs|typeorm|node:child_process|child_process)'|throwaway-database|\b(createDataSource|runMigrations|startEmbeddedKafka)\(/;
    const unit = allSpecs.filter((path) => tiersOf(path)[0] === 'unit');
    expect(unit.length).toBeGreaterThan(20);
    expect(unit.filter((path) => outside.test(readFileSync(join(root, path), 'utf8')))).toEqual([]);
  });
});
