import { compileRules, evaluateUser, invalidConditionReason, membershipChanges, ruleSubjectOf } from './evaluate-rules';
import type { MappingRule } from './mapping-rule';
import { unsafePatternReason, compileSafePattern } from './safe-pattern';

function rule(partial: Partial<MappingRule> & Pick<MappingRule, 'id' | 'target' | 'conditions'>): MappingRule {
  return { name: partial.id, position: 0, match: 'all', effect: 'include', enabled: true, ...partial };
}

const engineer = {
  department: 'Engineering',
  division: 'R&D',
  location: 'Berlin',
  title: 'Senior Engineer',
  organizations: [{ name: 'Acme GmbH' }],
  manager: { name: 'Ada', email: 'Ada@Example.com' },
  custom_fields: { custom_field_1: 'contractor' },
};

describe('rule conditions', () => {
  const cases: Array<[string, MappingRule['conditions'][number], boolean]> = [
    ['equals ignores case and spaces', { attribute: 'department', operator: 'equals', value: ' engineering ' }, true],
    ['equals on another value', { attribute: 'department', operator: 'equals', value: 'Sales' }, false],
    ['in', { attribute: 'location', operator: 'in', values: ['Paris', 'berlin'] }, true],
    ['prefix', { attribute: 'title', operator: 'prefix', value: 'senior' }, true],
    ['regex', { attribute: 'title', operator: 'regex', value: '^(senior|staff) engineer$' }, true],
    ['organization (any of several)', { attribute: 'organization', operator: 'equals', value: 'acme gmbh' }, true],
    ['manager by email', { attribute: 'manager', operator: 'equals', value: 'ada@example.com' }, true],
    ['custom field', { attribute: 'custom_field_1', operator: 'equals', value: 'Contractor' }, true],
    ['an absent attribute matches nothing', { attribute: 'custom_field_2', operator: 'regex', value: '.*' }, false],
  ];
  it.each(cases)('%s', (_name, condition, expected) => {
    const [compiled] = compileRules([rule({ id: 'r', target: 'g', conditions: [condition] })]);
    expect(compiled.matches(ruleSubjectOf(engineer))).toBe(expected);
  });

  it('all needs every condition, any needs one', () => {
    const conditions: MappingRule['conditions'] = [
      { attribute: 'department', operator: 'equals', value: 'Engineering' },
      { attribute: 'location', operator: 'equals', value: 'Paris' },
    ];
    const [all, any] = compileRules([
      rule({ id: 'a', target: 'g', conditions, match: 'all', position: 1 }),
      rule({ id: 'b', target: 'g', conditions, match: 'any', position: 2 }),
    ]);
    expect(all.matches(ruleSubjectOf(engineer))).toBe(false);
    expect(any.matches(ruleSubjectOf(engineer))).toBe(true);
  });

  it('names the field of an invalid condition', () => {
    expect(invalidConditionReason({ attribute: 'department', operator: 'in', values: [] })).toMatch(/^values:/);
    expect(invalidConditionReason({ attribute: 'department', operator: 'equals' })).toMatch(/^value:/);
    expect(invalidConditionReason({ attribute: 'title', operator: 'regex', value: '(a+)+$' })).toMatch(/^value: regex/);
  });
});

describe('safe rule regexes', () => {
  it.each(['(a+)+$', '(a|a)*b', '((a|b)c)*', '(x*y*)+', '(a)\\1', '(?=a)a', '.*.*.*.*x', '(ab{1,100}){1,100}', 'x'.repeat(201), '(unclosed'])(
    'refuses %s',
    (pattern) => expect(unsafePatternReason(pattern)).not.toBeNull(),
  );
  it.each(['^eng', 'sales|marketing', '^(senior|staff) .*$', '[a-z]+-\\d{2,4}', '(?:emea|apac)-ops', 'a{2,5}'])('accepts %s', (pattern) =>
    expect(unsafePatternReason(pattern)).toBeNull(),
  );
  it('answers hostile input quickly with an accepted pattern (values are cut to 256 characters)', () => {
    const matches = compileSafePattern('^\\w+\\s*\\w+$');
    expect(matches('a'.repeat(250) + '!')).toBe(false);
    expect(matches('a'.repeat(100_000) + '!')).toBe(true); // only the first 256 characters are tested
  });
});

describe('desired memberships', () => {
  const rules = compileRules([
    rule({ id: 'eng', target: 'g-eng', position: 1, conditions: [{ attribute: 'department', operator: 'equals', value: 'Engineering' }] }),
    rule({ id: 'sales', target: 'g-sales', position: 2, conditions: [{ attribute: 'department', operator: 'equals', value: 'Sales' }] }),
    rule({ id: 'off', target: 'g-off', enabled: false, conditions: [{ attribute: 'department', operator: 'equals', value: 'Engineering' }] }),
  ]);

  it('a mover leaves the old rule group and joins the new one; unmanaged groups are untouched', () => {
    const evaluation = evaluateUser(rules, ruleSubjectOf({ department: 'Sales' }));
    const changes = membershipChanges(evaluation, new Set(['g-eng', 'g-console']));
    expect(changes).toEqual([
      { target: 'g-eng', action: 'remove', ruleIds: [] },
      { target: 'g-sales', action: 'add', ruleIds: ['sales'] },
    ]);
  });

  it('nothing changes for a user already where the rules want them', () => {
    expect(membershipChanges(evaluateUser(rules, ruleSubjectOf(engineer)), new Set(['g-eng']))).toEqual([]);
  });

  it('two rules fighting over one user in one group are reported and that group is left alone', () => {
    const fighting = compileRules([
      rule({ id: 'berlin', target: 'g', position: 1, conditions: [{ attribute: 'location', operator: 'equals', value: 'Berlin' }] }),
      rule({ id: 'no-contractors', target: 'g', position: 2, effect: 'exclude', conditions: [{ attribute: 'custom_field_1', operator: 'equals', value: 'contractor' }] }),
    ]);
    const evaluation = evaluateUser(fighting, ruleSubjectOf(engineer));
    expect(evaluation.conflicts).toEqual([{ target: 'g', include_rule_ids: ['berlin'], exclude_rule_ids: ['no-contractors'] }]);
    expect(membershipChanges(evaluation, new Set())).toEqual([]);
    expect(membershipChanges(evaluation, new Set(['g']))).toEqual([]);
  });
});
