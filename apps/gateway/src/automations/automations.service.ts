import { Inject, Injectable } from '@nestjs/common';
import { invalidConditionReason } from '@kb4/mapping';
import { AutomationConfigRepository, AutomationStateRepository, type AutomationConflictRow, type AutomationSettings, type MappingRuleInput, type MappingRuleRow } from '@kb4/persistence';
import { ApiError } from '@kb4/platform';
import { AccountScope } from '../accounts/account-scope';
import type {
  AutomationConflictDto,
  AutomationConflictListDto,
  AutomationSettingsDto,
  ConflictListQuery,
  MappingRuleDto,
  MappingRulePreviewDto,
  MappingRulePreviewRequestDto,
  MappingRuleWriteDto,
} from './automation.dto';
import { previewRules } from './rule-preview';

const iso = (value: Date): string => new Date(value).toISOString();

function settingsDto(settings: AutomationSettings): AutomationSettingsDto {
  return { new_hires: { enabled: settings.newHiresEnabled, group_name: settings.newHiresGroupName, remove_after_days: settings.newHiresRemoveAfterDays } };
}

export function ruleDto(row: MappingRuleRow): MappingRuleDto {
  return {
    id: row.id,
    name: row.name,
    position: row.position,
    match: row.match,
    conditions: row.conditions as MappingRuleDto['conditions'],
    target_group_id: row.targetGroupId,
    target_group_name: row.targetGroupName,
    effect: row.effect,
    enabled: row.enabled,
    created_at: iso(row.createdAt),
    updated_at: iso(row.updatedAt),
  };
}

function conflictDto(row: AutomationConflictRow): AutomationConflictDto {
  return {
    id: row.id,
    kind: row.kind,
    user_id: row.userId,
    group_name: row.groupName,
    details: row.details,
    occurrences: row.occurrences,
    first_seen_at: iso(row.firstSeenAt),
    last_seen_at: iso(row.lastSeenAt),
    resolved_at: row.resolvedAt ? iso(row.resolvedAt) : null,
  };
}

/** 400 naming the field when a rule cannot be evaluated. */
export function ruleInputOf(body: MappingRuleWriteDto, field = ''): MappingRuleInput {
  const hasId = body.target_group_id !== undefined && body.target_group_id !== null;
  const hasName = body.target_group_name !== undefined && body.target_group_name !== null;
  if (hasId === hasName) throw new ApiError(400, `${field}target_group_id: give exactly one of target_group_id and target_group_name`);
  body.conditions.forEach((condition, index) => {
    const reason = invalidConditionReason(condition);
    if (reason) throw new ApiError(400, `${field}conditions[${index}].${reason}`);
  });
  return {
    name: body.name,
    match: body.match ?? 'all',
    conditions: body.conditions.map((c) => ({ attribute: c.attribute, operator: c.operator, ...(c.operator === 'in' ? { values: c.values } : { value: c.value }) })),
    effect: body.effect ?? 'include',
    targetGroupId: hasId ? body.target_group_id! : null,
    targetGroupName: hasName ? body.target_group_name! : null,
    enabled: body.enabled ?? true,
    ...(body.position !== undefined ? { position: body.position } : {}),
  };
}

function encodeCursor(row: { lastSeenAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([iso(row.lastSeenAt), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { lastSeenAt: Date; id: string } {
  try {
    const [time, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const lastSeenAt = new Date(time);
    if (Number.isNaN(lastSeenAt.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) throw new Error('bad');
    return { lastSeenAt, id };
  } catch {
    throw new ApiError(400, 'next_cursor: not a cursor of this list');
  }
}

/** Per-account automation settings, mapping rules, their preview and the conflicts the automations app reported. */
@Injectable()
export class AutomationsService {
  constructor(
    @Inject(AccountScope) private readonly scope: AccountScope,
    @Inject(AutomationConfigRepository) private readonly config: AutomationConfigRepository,
    @Inject(AutomationStateRepository) private readonly state: AutomationStateRepository,
  ) {}

  async settings(workspaceId: string, accountId: string): Promise<AutomationSettingsDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    return settingsDto(await this.config.settings(account.id));
  }

  async saveSettings(workspaceId: string, accountId: string, body: AutomationSettingsDto): Promise<AutomationSettingsDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const { enabled, group_name, remove_after_days } = body.new_hires;
    return settingsDto(await this.config.saveSettings(account.id, { newHiresEnabled: enabled, newHiresGroupName: group_name.trim(), newHiresRemoveAfterDays: remove_after_days }));
  }

  async listRules(workspaceId: string, accountId: string): Promise<MappingRuleDto[]> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    return (await this.config.listRules(account.id)).map(ruleDto);
  }

  async getRule(workspaceId: string, accountId: string, ruleId: string): Promise<MappingRuleDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    return ruleDto(await this.existingRule(account.id, ruleId));
  }

  async createRule(workspaceId: string, accountId: string, body: MappingRuleWriteDto): Promise<MappingRuleDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const input = ruleInputOf(body);
    await this.assertTarget(account.id, input);
    return ruleDto(await this.config.createRule(account.id, input));
  }

  /** PATCH: the fields sent replace the rule's; everyone is evaluated again once. */
  async updateRule(workspaceId: string, accountId: string, ruleId: string, body: Partial<MappingRuleWriteDto>): Promise<MappingRuleDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const existing = ruleDto(await this.existingRule(account.id, ruleId));
    const targetChanged = body.target_group_id !== undefined || body.target_group_name !== undefined;
    const merged = {
      ...existing,
      ...(targetChanged ? { target_group_id: undefined, target_group_name: undefined } : {}),
      ...body,
    } as MappingRuleWriteDto;
    const input = ruleInputOf(merged);
    await this.assertTarget(account.id, input);
    const updated = await this.config.updateRule(account.id, ruleId, { ...input, position: input.position ?? existing.position });
    if (!updated) throw new ApiError(404, 'mapping rule not found');
    return ruleDto(updated);
  }

  async deleteRule(workspaceId: string, accountId: string, ruleId: string): Promise<void> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    if (!(await this.config.deleteRule(account.id, ruleId))) throw new ApiError(404, 'mapping rule not found');
  }

  async preview(workspaceId: string, accountId: string, body: MappingRulePreviewRequestDto): Promise<MappingRulePreviewDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const proposed = body.rules.map((rule, index) => ruleInputOf(rule, `rules[${index}].`));
    const saved = body.with_saved_rules === false ? [] : (await this.config.listRules(account.id)).filter((rule) => rule.enabled);
    return previewRules(this.state, account.id, [...saved, ...proposed]);
  }

  async conflicts(workspaceId: string, accountId: string, query: ConflictListQuery): Promise<AutomationConflictListDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const limit = query.limit ?? 50;
    const before = query.next_cursor ? decodeCursor(query.next_cursor) : undefined;
    const rows = await this.config.listConflicts(account.id, { limit: limit + 1, before });
    const page = rows.slice(0, limit);
    return {
      result: page.map(conflictDto),
      next_cursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null,
      result_count: page.length,
    };
  }

  /** Unfreezes a flapping membership (or dismisses a rule conflict); everyone is evaluated again. */
  async resolveConflict(workspaceId: string, accountId: string, conflictId: string): Promise<AutomationConflictDto> {
    const account = await this.scope.requireAccount(workspaceId, accountId);
    const resolved = await this.config.resolveConflict(account.id, conflictId);
    if (!resolved) throw new ApiError(404, 'conflict not found (or already resolved)');
    return conflictDto(resolved);
  }

  private async existingRule(accountId: string, ruleId: string): Promise<MappingRuleRow> {
    const rule = await this.config.findRule(accountId, ruleId);
    if (!rule) throw new ApiError(404, 'mapping rule not found');
    return rule;
  }

  /** A target given by id must be a console group of the mirror (404 / 422); a name may be created later. */
  private async assertTarget(accountId: string, input: MappingRuleInput): Promise<void> {
    if (!input.targetGroupId) return;
    const group = (await this.state.groupsOf(accountId)).find((g) => g.remoteId === input.targetGroupId || g.scimId === input.targetGroupId);
    if (!group) throw new ApiError(404, `target_group_id: no group ${input.targetGroupId} in this account`);
    if (group.smart) throw new ApiError(422, `target_group_id: ${input.targetGroupId} is a smart group; KnowBe4 SCIM can only change console groups`);
  }
}
