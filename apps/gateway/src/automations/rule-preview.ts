import { compileRules, evaluateUser, membershipChanges, ruleSubjectOf, type MappingRule, type RuleCondition } from '@kb4/mapping';
import type { AutomationGroup, AutomationStateRepository, MappingRuleInput } from '@kb4/persistence';
import type { MappingRulePreviewDto, PreviewGroupDto } from './automation.dto';

const PAGE = 1000;
const MAX_USERS = 50_000;
const LISTED = 100;

function targetOf(groups: readonly AutomationGroup[], rule: MappingRuleInput): { key: string; group: AutomationGroup | null; name: string } {
  const group = rule.targetGroupId
    ? groups.find((g) => g.remoteId === rule.targetGroupId || g.scimId === rule.targetGroupId)
    : groups.find((g) => g.name.toLowerCase() === (rule.targetGroupName ?? '').toLowerCase());
  if (group) return { key: group.seq, group, name: group.name };
  // a group not created yet: nobody is in it
  const name = rule.targetGroupName ?? rule.targetGroupId ?? '';
  return { key: `new:${name.toLowerCase()}`, group: null, name };
}

/** Who would join and leave which group under these rules, against the mirror's active users (counts, and up to 100 ids each). */
export async function previewRules(state: AutomationStateRepository, accountId: string, inputs: readonly MappingRuleInput[]): Promise<MappingRulePreviewDto> {
  const groups = (await state.groupsOf(accountId)).filter((group) => !group.smart);
  const byKey = new Map<string, PreviewGroupDto>();
  const rules: MappingRule[] = inputs.map((input, index) => {
    const target = targetOf(groups, input);
    if (!byKey.has(target.key)) byKey.set(target.key, { group_id: target.group?.id ?? null, group_name: target.name, join_count: 0, leave_count: 0, join: [], leave: [] });
    return { ...input, id: `preview-${index}`, position: index, conditions: input.conditions as RuleCondition[], target: target.key };
  });
  const compiled = compileRules(rules);
  let evaluated = 0;
  let conflicts = 0;
  let cursor = '0';
  for (;;) {
    const page = await state.pageUsers(accountId, cursor, PAGE);
    if (page.length === 0) break;
    cursor = page[page.length - 1].seq;
    const users = page.filter((user) => user.status === 'active').slice(0, MAX_USERS - evaluated);
    const memberships = await state.groupSeqsOfPage(accountId, users);
    for (const user of users) {
      const evaluation = evaluateUser(compiled, ruleSubjectOf(user.record));
      conflicts += evaluation.conflicts.length;
      for (const change of membershipChanges(evaluation, memberships.get(user.seq) ?? new Set())) {
        const entry = byKey.get(change.target)!;
        const list = change.action === 'add' ? entry.join : entry.leave;
        if (change.action === 'add') entry.join_count++;
        else entry.leave_count++;
        if (list.length < LISTED) list.push(user.id);
      }
    }
    evaluated += users.length;
    if (evaluated >= MAX_USERS || page.length < PAGE) break;
  }
  return { groups: [...byKey.values()], users_evaluated: evaluated, conflicts, truncated: evaluated >= MAX_USERS };
}
