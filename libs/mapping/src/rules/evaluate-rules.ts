import type { UnifiedUser } from '@kb4/contracts';
import type { MappingRule, RuleCondition, RuleSubject } from './mapping-rule';
import { compileSafePattern, RULE_VALUE_MAX_LENGTH, unsafePatternReason } from './safe-pattern';

const normalize = (value: string): string => value.trim().toLowerCase();

function text(value: unknown): string[] {
  return typeof value === 'string' && value.trim() !== '' ? [value] : [];
}

/** The testable attributes of a unified user record (as the mirror stores it). */
export function ruleSubjectOf(user: Partial<UnifiedUser> | Record<string, unknown>): RuleSubject {
  const record = user as Record<string, unknown>;
  const custom = (record.custom_fields ?? {}) as Record<string, unknown>;
  const organizations = Array.isArray(record.organizations) ? (record.organizations as Array<{ name?: unknown }>) : [];
  const manager = record.manager as { email?: unknown } | null | undefined;
  return {
    department: text(record.department),
    division: text(record.division),
    location: text(record.location),
    title: text(record.title),
    organization: organizations.flatMap((organization) => text(organization?.name)),
    manager: text(manager?.email),
    custom_field_1: text(custom.custom_field_1),
    custom_field_2: text(custom.custom_field_2),
    custom_field_3: text(custom.custom_field_3),
    custom_field_4: text(custom.custom_field_4),
  };
}

/** Why a condition cannot be evaluated (named by its field), or null. */
export function invalidConditionReason(condition: RuleCondition): string | null {
  if (condition.operator === 'in') {
    return Array.isArray(condition.values) && condition.values.length > 0 ? null : 'values: must list at least one value for operator in';
  }
  if (typeof condition.value !== 'string' || condition.value === '') return `value: is required for operator ${condition.operator}`;
  if (condition.value.length > RULE_VALUE_MAX_LENGTH) return `value: must be at most ${RULE_VALUE_MAX_LENGTH} characters`;
  if (condition.operator === 'regex') {
    const reason = unsafePatternReason(condition.value);
    return reason ? `value: regex ${reason}` : null;
  }
  return null;
}

type Test = (subject: RuleSubject) => boolean;

function compileCondition(condition: RuleCondition): Test {
  const values = (subject: RuleSubject): string[] => subject[condition.attribute] ?? [];
  switch (condition.operator) {
    case 'equals': {
      const wanted = normalize(condition.value ?? '');
      return (subject) => values(subject).some((value) => normalize(value) === wanted);
    }
    case 'in': {
      const wanted = new Set((condition.values ?? []).map(normalize));
      return (subject) => values(subject).some((value) => wanted.has(normalize(value)));
    }
    case 'prefix': {
      const wanted = normalize(condition.value ?? '');
      return (subject) => values(subject).some((value) => normalize(value).startsWith(wanted));
    }
    case 'regex': {
      const matches = compileSafePattern(condition.value ?? '');
      return (subject) => values(subject).some((value) => matches(value));
    }
  }
}

export interface CompiledRule {
  rule: MappingRule;
  matches: Test;
}

/** Enabled rules in order (position, then id), their conditions compiled once. A rule with no conditions matches nobody. */
export function compileRules(rules: readonly MappingRule[]): CompiledRule[] {
  return rules
    .filter((rule) => rule.enabled)
    .sort((a, b) => a.position - b.position || a.id.localeCompare(b.id))
    .map((rule) => {
      const tests = rule.conditions.map(compileCondition);
      const matches: Test =
        tests.length === 0 ? () => false : rule.match === 'all' ? (s) => tests.every((t) => t(s)) : (s) => tests.some((t) => t(s));
      return { rule, matches };
    });
}

/** Two rules that disagree about one user in one group: an include and an exclude both match. */
export interface RuleConflict {
  target: string;
  include_rule_ids: string[];
  exclude_rule_ids: string[];
}

export interface UserEvaluation {
  /** Rule-managed group → whether this user belongs in it, and the rules that decided. Conflicted groups are absent. */
  desired: Map<string, { member: boolean; ruleIds: string[] }>;
  conflicts: RuleConflict[];
}

/** Desired membership of one user in every rule-managed group. A conflicted group is left as it is and reported. */
export function evaluateUser(rules: readonly CompiledRule[], subject: RuleSubject): UserEvaluation {
  const byTarget = new Map<string, { include: string[]; exclude: string[] }>();
  for (const { rule, matches } of rules) {
    const entry = byTarget.get(rule.target) ?? { include: [], exclude: [] };
    byTarget.set(rule.target, entry);
    if (matches(subject)) entry[rule.effect].push(rule.id);
  }
  const desired = new Map<string, { member: boolean; ruleIds: string[] }>();
  const conflicts: RuleConflict[] = [];
  for (const [target, { include, exclude }] of byTarget) {
    if (include.length > 0 && exclude.length > 0) conflicts.push({ target, include_rule_ids: include, exclude_rule_ids: exclude });
    else desired.set(target, { member: include.length > 0, ruleIds: include.length > 0 ? include : exclude });
  }
  return { desired, conflicts };
}

export interface MembershipChange {
  target: string;
  action: 'add' | 'remove';
  ruleIds: string[];
}

/** What to change so `current` (the group keys the user is in) matches the desired memberships; other groups untouched. */
export function membershipChanges(evaluation: UserEvaluation, current: ReadonlySet<string>): MembershipChange[] {
  const changes: MembershipChange[] = [];
  for (const [target, { member, ruleIds }] of evaluation.desired) {
    if (member && !current.has(target)) changes.push({ target, action: 'add', ruleIds });
    if (!member && current.has(target)) changes.push({ target, action: 'remove', ruleIds });
  }
  return changes;
}
