import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Fixtures are read as untyped JSON, exactly as a client would receive them over the wire. */
export function loadFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(__dirname, name), 'utf8')) as unknown;
}

export function reportingUsers(): unknown[] {
  return loadFixture('reporting-users.json') as unknown[];
}

export function reportingGroups(): unknown[] {
  return loadFixture('reporting-groups.json') as unknown[];
}
