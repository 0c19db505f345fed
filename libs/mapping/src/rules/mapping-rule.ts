/** What a mapping rule may test: the unified user's directory attributes (design.md "Unified user"). */
export const RULE_ATTRIBUTES = [
  'department',
  'division',
  'location',
  'title',
  'organization',
  'manager',
  'custom_field_1',
  'custom_field_2',
  'custom_field_3',
  'custom_field_4',
] as const;
export type RuleAttribute = (typeof RULE_ATTRIBUTES)[number];

export const RULE_OPERATORS = ['equals', 'in', 'prefix', 'regex'] as const;
export type RuleOperator = (typeof RULE_OPERATORS)[number];

/** `value` for equals / prefix / regex, `values` for in. Comparisons ignore case and surrounding spaces. */
export interface RuleCondition {
  attribute: RuleAttribute;
  operator: RuleOperator;
  value?: string | null;
  values?: string[] | null;
}

/**
 * `include`: matching users belong in the target group. `exclude`: matching users must not be in it. A group any
 * enabled rule targets is rule-managed: its desired members are the users an include rule matches.
 */
export type RuleEffect = 'include' | 'exclude';

export interface MappingRule {
  id: string;
  name: string;
  position: number;
  match: 'all' | 'any';
  conditions: RuleCondition[];
  /** The target group, as the caller resolved it (a group id, or a name for a group not created yet). */
  target: string;
  effect: RuleEffect;
  enabled: boolean;
}

/** The attribute values of one user a rule can test (organization and manager may be several / absent). */
export type RuleSubject = Partial<Record<RuleAttribute, string[]>>;
