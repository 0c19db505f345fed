import { randomUUID } from 'node:crypto';
import { evaluateUser, membershipChanges, ruleSubjectOf, type MembershipChange, type UserEvaluation } from '@kb4/mapping';
import {
  addMembersIntent,
  AutomationCommand,
  AutomationConfigRepository,
  AutomationStateRepository,
  AutomationUser,
  createGroupIntent,
  removeMemberIntent,
} from '@kb4/persistence';
import type { Logger } from 'pino';
import { AutomationContext, loadContext } from './automation-context';
import { automationConflicts, automationOperations } from './automation-metrics';

export interface EngineOptions {
  flapLimit: number;
  flapWindowSeconds: number;
}

const NEW_HIRES = 'new-hires';

/** An account with no enabled rule and new hires off: nothing to evaluate. */
export function isInert(context: AutomationContext): boolean {
  return context.rules.length === 0 && !context.settings.newHiresEnabled;
}

/**
 * Evaluates users against their account's rules and new-hire settings and sends the difference between desired and
 * current memberships as ordinary membership operations (actor: the rules or 'new-hires'). Never loops: a change whose
 * previous identical command is still in flight is not sent again, and a pair changed flapLimit times within the window
 * is frozen and reported as flapping.
 */
export class AutomationEngine {
  constructor(
    private readonly config: AutomationConfigRepository,
    private readonly state: AutomationStateRepository,
    private readonly options: EngineOptions,
    private readonly logger: Logger,
    private readonly onCommands: (count: number) => void,
  ) {}

  context(accountId: string): Promise<AutomationContext> {
    return loadContext(this.config, this.state, accountId);
  }

  /** One user by Reporting or SCIM id; `newHire` starts their period when the account has new hires enabled. */
  async evaluateUserById(accountId: string, userId: string, newHire: boolean): Promise<number> {
    const user = await this.state.findUser(accountId, userId);
    if (!user) return 0;
    return this.evaluate(await this.context(accountId), user, newHire);
  }

  async evaluate(context: AutomationContext, user: AutomationUser, newHire = false): Promise<number> {
    if (isInert(context)) return 0;
    const commands: AutomationCommand[] = this.groupCreates(context);
    if (user.status === 'active') {
      if (newHire && context.settings.newHiresEnabled) await this.state.startNewHire(context.accountId, user, context.settings.newHiresRemoveAfterDays);
      const evaluation = evaluateUser(context.rules, ruleSubjectOf(user.record));
      await this.addNewHireDecision(context, user, evaluation);
      await this.reportRuleConflicts(context, user, evaluation);
      const changes = membershipChanges(evaluation, await this.state.groupSeqsOf(context.accountId, user));
      for (const change of changes) {
        const command = await this.commandFor(context, user, change);
        if (command) commands.push(command);
      }
    }
    const created = await this.state.recordCommands(context.accountId, commands);
    if (created.length > 0) {
      this.logger.info({ account: context.accountId, user: user.id, operations: created.length }, 'automation commands sent');
      automationOperations.inc(created.length);
      this.onCommands(created.length);
    }
    return created.length;
  }

  /** A group a rule or the new-hire setting names is created through the ordinary group create (once a day at most). */
  private groupCreates(context: AutomationContext): AutomationCommand[] {
    const day = new Date().toISOString().slice(0, 10);
    return context.missingGroupNames.map((name) => ({
      operationId: randomUUID(),
      intent: createGroupIntent(context.accountId, { name }, `/unified/user-directory/groups?integrated_account_id=${context.accountId}`),
      actor: { type: 'automation', source: 'group_create', group_name: name },
      idempotencyKey: `automations:group.create:${name.toLowerCase()}:${day}`.slice(0, 255),
    }));
  }

  /** New hires within their period belong in the group; after it, automations remove only the users they added. */
  private async addNewHireDecision(context: AutomationContext, user: AutomationUser, evaluation: UserEvaluation): Promise<void> {
    const group = context.newHiresGroup;
    if (!group || evaluation.desired.has(group.seq)) return;
    const state = await this.state.newHireState(context.accountId, user.seq);
    if (state === 'active') evaluation.desired.set(group.seq, { member: true, ruleIds: [NEW_HIRES] });
    if (state === 'ended') evaluation.desired.set(group.seq, { member: false, ruleIds: [NEW_HIRES] });
  }

  private async reportRuleConflicts(context: AutomationContext, user: AutomationUser, evaluation: UserEvaluation): Promise<void> {
    for (const conflict of evaluation.conflicts) {
      automationConflicts.inc({ kind: 'rule_conflict' });
      const group = context.groupsBySeq.get(conflict.target);
      await this.state.reportConflict(context.accountId, {
        kind: 'rule_conflict',
        userSeq: user.seq,
        userId: user.id,
        groupSeq: conflict.target,
        groupName: group?.name ?? '',
        details: { include_rule_ids: conflict.include_rule_ids, exclude_rule_ids: conflict.exclude_rule_ids },
      });
    }
    await this.state.resolveRuleConflicts(context.accountId, user.seq, evaluation.conflicts.map((conflict) => conflict.target));
  }

  private async commandFor(context: AutomationContext, user: AutomationUser, change: MembershipChange): Promise<AutomationCommand | null> {
    const group = context.groupsBySeq.get(change.target);
    if (!group || (await this.state.isFrozen(context.accountId, user.seq, group.seq))) return null;
    const history = await this.state.pairHistory(context.accountId, user.seq, group.seq, this.options.flapWindowSeconds);
    if (history.lastAction === change.action) {
      // the same change is in flight, or done where the mirror cannot show it yet (a user no sync has seen)
      if (history.lastStatus === 'queued' || history.lastStatus === 'running') return null;
      if (history.lastStatus === 'succeeded' && !user.remoteId) return null;
    }
    if (history.recent >= this.options.flapLimit) {
      await this.state.reportConflict(context.accountId, {
        kind: 'flapping',
        userSeq: user.seq,
        userId: user.id,
        groupSeq: group.seq,
        groupName: group.name,
        details: { changes_in_window: history.recent, window_seconds: this.options.flapWindowSeconds, wanted: change.action, rule_ids: change.ruleIds },
      });
      automationConflicts.inc({ kind: 'flapping' });
      this.logger.warn({ account: context.accountId, user: user.id, group: group.id }, 'membership flapping: automations stop changing it');
      return null;
    }
    const path = `/unified/user-directory/groups/${group.id}/members`;
    const target = { id: group.id, keyId: group.remoteId ?? group.scimId ?? group.id };
    const intent = change.action === 'add' ? addMembersIntent(context.accountId, target, [user.id], path) : removeMemberIntent(context.accountId, target, user.id, `${path}/${user.id}`);
    const source = change.ruleIds.includes(NEW_HIRES) ? NEW_HIRES : 'mapping_rules';
    return {
      operationId: randomUUID(),
      intent,
      actor: { type: 'automation', source, rule_ids: change.ruleIds.filter((id) => id !== NEW_HIRES) },
      change: { userSeq: user.seq, groupSeq: group.seq, action: change.action },
    };
  }
}
