import fc from 'fast-check';
import { reportingUsers } from '../__fixtures__/load-fixture';
import type { KnowBe4User } from '@kb4/knowbe4';
import { toUnifiedGroup, toUnifiedUser } from '../unified/from-knowbe4';
import { canonicalJson } from './canonical-json';
import { DEFAULT_USER_DIFF_IGNORE, applyChanges, diffGroup, diffRecords, diffUser } from './diff-records';

const [modern] = reportingUsers() as KnowBe4User[];

describe('diffUser', () => {
  const before = toUnifiedUser(modern);

  it('finds nothing between a user and itself', () => {
    expect(diffUser(before, toUnifiedUser(modern))).toEqual([]);
  });

  it('reports changed fields in field-name order with whole values', () => {
    const after = toUnifiedUser({ ...modern, job_title: 'Principal Engineer', department: null, phish_prone_percentage: 30 });
    expect(diffUser(before, after)).toEqual([
      { field: 'department', from: 'Engineering', to: null },
      { field: 'phish_prone_percentage', from: 25.6, to: 30 },
      { field: 'title', from: 'Staff Engineer', to: 'Principal Engineer' },
    ]);
  });

  it('ignores sign-ins, remote data and updated_at by default', () => {
    const after = { ...toUnifiedUser({ ...modern, last_sign_in: '2025-01-01T00:00:00.000Z' }), updated_at: 'now' };
    expect(diffUser(before, after)).toEqual([]);
    expect(DEFAULT_USER_DIFF_IGNORE).toEqual(['last_active_at', 'remote_data', 'updated_at']);
  });

  it('can be told to compare every field', () => {
    const after = toUnifiedUser({ ...modern, last_sign_in: '2025-01-01T00:00:00.000Z' });
    expect(diffUser(before, after, { ignore: ['remote_data'] }).map((change) => change.field)).toEqual(['last_active_at']);
  });

  it.each([
    ['emails', { aliases: ['jane@example.org', 'jdoe@example.com'] }],
    ['groups', { groups: [3911, 3264] }],
  ])('compares %s as a set, ignoring order', (_field, patch) => {
    expect(diffUser(before, toUnifiedUser({ ...modern, ...patch }))).toEqual([]);
  });

  it('compares groups by id, so a renamed group is not a membership change', () => {
    const renamed = toUnifiedUser(modern, { groupsById: { '3264': 'Renamed' } });
    expect(diffUser(before, renamed)).toEqual([]);
  });

  it('reports a group membership change', () => {
    const after = toUnifiedUser({ ...modern, groups: [3264] });
    expect(diffUser(before, after)).toEqual([
      { field: 'groups', from: before.groups, to: [{ id: '3264', name: null }] },
    ]);
  });
});

describe('diffGroup', () => {
  it('reports a rename and ignores remote data', () => {
    const before = toUnifiedGroup({ id: 1, name: 'A', status: 'active' });
    const after = toUnifiedGroup({ id: 1, name: 'B', status: 'active', extra: true });
    expect(diffGroup(before, after)).toEqual([{ field: 'name', from: 'A', to: 'B' }]);
  });
});

describe('diffRecords', () => {
  it('treats undefined, missing and null alike and reports null', () => {
    expect(diffRecords({ a: undefined, b: null }, { c: null })).toEqual([]);
    expect(diffRecords({ a: 1 }, {})).toEqual([{ field: 'a', from: 1, to: null }]);
  });

  it('compares nested objects deeply regardless of key order', () => {
    expect(diffRecords({ m: { a: 1, b: [1, 2] } }, { m: { b: [1, 2], a: 1 } })).toEqual([]);
    expect(diffRecords({ m: { a: 1 } }, { m: { a: 2 } })).toEqual([{ field: 'm', from: { a: 1 }, to: { a: 2 } }]);
  });

  it('keeps array order meaningful unless the field is declared unordered', () => {
    expect(diffRecords({ l: [1, 2] }, { l: [2, 1] })).toHaveLength(1);
    expect(diffRecords({ l: [1, 2] }, { l: [2, 1] }, { unordered: { l: true } })).toEqual([]);
  });

  const value = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 5 }),
    fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    fc.record({ name: fc.option(fc.string({ maxLength: 3 })), email: fc.option(fc.string({ maxLength: 3 })) }),
  );
  const record = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'remote_data'), value);

  it('property: a record never differs from itself', () => {
    fc.assert(fc.property(record, (a) => diffRecords(a, a).length === 0));
  });

  it('property: applying the diff to before yields after on the compared fields', () => {
    fc.assert(
      fc.property(record, record, (before, after) => {
        const ignore = ['remote_data'];
        const applied = applyChanges(before, diffRecords(before, after, { ignore }));
        expect(diffRecords(applied, after, { ignore })).toEqual([]);
      }),
    );
  });

  it('property: the diff is deterministic and sorted by field', () => {
    fc.assert(
      fc.property(record, record, (before, after) => {
        const fields = diffRecords(before, after).map((change) => change.field);
        expect(fields).toEqual([...fields].sort());
        expect(canonicalJson(diffRecords(before, after))).toBe(canonicalJson(diffRecords(before, after)));
      }),
    );
  });
});
