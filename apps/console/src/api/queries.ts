import type { components } from '@kb4/client';

/** Query keys in one place, so live events can invalidate exactly what they change. */
export const keys = {
  accounts: ['accounts'] as const,
  account: (id: string) => ['accounts', id] as const,
  licenses: (id: string) => ['accounts', id, 'licenses'] as const,
  syncRuns: (id: string) => ['accounts', id, 'sync-runs'] as const,
  failedOperations: (id: string) => ['operations', 'failed', id] as const,
  operations: ['operations'] as const,
  users: (id: string) => ['accounts', id, 'users'] as const,
  user: (id: string, userId: string) => ['accounts', id, 'users', userId] as const,
  groups: (id: string) => ['accounts', id, 'groups'] as const,
  rules: (id: string) => ['accounts', id, 'mapping-rules'] as const,
  rosterRuns: (id: string) => ['accounts', id, 'roster-runs'] as const,
};

export type Account = components['schemas']['IntegratedAccountDto'];
export type AccountDetail = components['schemas']['IntegratedAccountDetailDto'];
export type Licenses = components['schemas']['LicensesDto'];
export type SyncRun = components['schemas']['SyncRunDto'];
export type Operation = components['schemas']['OperationDto'];
export type UnifiedUser = components['schemas']['UnifiedUserDto'];
export type UnifiedGroup = components['schemas']['UnifiedGroupDto'];
export type MappingRule = components['schemas']['MappingRuleDto'];
export type MappingRuleWrite = components['schemas']['MappingRuleWriteDto'];
export type RuleCondition = components['schemas']['RuleConditionDto'];
export type RulePreview = components['schemas']['MappingRulePreviewDto'];
export type RosterPlan = components['schemas']['RosterPlanDto'];
export type RosterRun = components['schemas']['RosterRunDto'];
export type Region = components['schemas']['CreateIntegratedAccountDto']['region'];
export const REGIONS: readonly Region[] = ['us', 'eu', 'ca', 'uk', 'de'];
