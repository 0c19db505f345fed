import { compileRules, type CompiledRule, type MappingRule, type RuleCondition } from '@kb4/mapping';
import type { AutomationConfigRepository, AutomationGroup, AutomationSettings, AutomationStateRepository, MappingRuleRow } from '@kb4/persistence';

/** One account's settings, compiled rules (targets resolved to group seqs) and groups, loaded once per evaluation batch. */
export interface AutomationContext {
  accountId: string;
  settings: AutomationSettings;
  rules: CompiledRule[];
  groupsBySeq: Map<string, AutomationGroup>;
  newHiresGroup: AutomationGroup | null;
  /** Groups rules or settings name that do not exist yet (a create is requested). */
  missingGroupNames: string[];
}

function findGroup(groups: readonly AutomationGroup[], row: Pick<MappingRuleRow, 'targetGroupId' | 'targetGroupName'>): AutomationGroup | undefined {
  if (row.targetGroupId) return groups.find((group) => group.remoteId === row.targetGroupId || group.scimId === row.targetGroupId);
  const name = (row.targetGroupName ?? '').toLowerCase();
  return groups.find((group) => group.name.toLowerCase() === name);
}

export async function loadContext(config: AutomationConfigRepository, state: AutomationStateRepository, accountId: string): Promise<AutomationContext> {
  const [settings, rows, groups] = await Promise.all([config.settings(accountId), config.listRules(accountId), state.groupsOf(accountId)]);
  const missing = new Set<string>();
  const rules: MappingRule[] = [];
  for (const row of rows.filter((rule) => rule.enabled)) {
    const group = findGroup(groups, row);
    if (!group || group.smart) {
      if (!group && row.targetGroupName) missing.add(row.targetGroupName);
      continue;
    }
    rules.push({ ...row, conditions: row.conditions as RuleCondition[], target: group.seq });
  }
  const newHiresGroup = settings.newHiresEnabled ? (findGroup(groups, { targetGroupId: null, targetGroupName: settings.newHiresGroupName }) ?? null) : null;
  if (settings.newHiresEnabled && !newHiresGroup) missing.add(settings.newHiresGroupName);
  return {
    accountId,
    settings,
    rules: compileRules(rules),
    groupsBySeq: new Map(groups.map((group) => [group.seq, group])),
    newHiresGroup,
    missingGroupNames: [...missing],
  };
}
