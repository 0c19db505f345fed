import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { NoQueryParams } from '../http/no-query.dto';
import {
  AutomationConflictDto,
  AutomationConflictListDto,
  AutomationSettingsDto,
  ConflictListQuery,
  MappingRuleDto,
  MappingRuleListDto,
  MappingRulePreviewDto,
  MappingRulePreviewRequestDto,
  UpdateMappingRuleDto,
  MappingRuleWriteDto,
} from './automation.dto';
import { AutomationsService } from './automations.service';

const ACCOUNT_PARAM = { name: 'id', description: 'Integrated account id', format: 'uuid', example: '3f7c2a10-9b8e-4d55-a1c2-6e0f4b7d9a21' } as const;
const RULE_PARAM = { name: 'rule_id', description: 'Mapping rule id', format: 'uuid', example: '9b2f6c1e-3d4a-4f5b-8c7d-1e2f3a4b5c6d' } as const;
const EVALUATION =
  'Rules are evaluated by apps/automations on every change of a user from any source (sync, API, roster); membership changes go out ' +
  'as ordinary operations whose actor names the rules. A group any enabled rule targets is rule-managed: users an include rule matches ' +
  'are added, others removed (other groups are never touched). Saving, changing or deleting a rule re-evaluates everyone once.';

/** Lifecycle automations of one integrated account (issue 13 points 2 and 3). */
@ApiTags('automations')
@RequiresApiKey('accounts:manage')
@ApiParam(ACCOUNT_PARAM)
@ApiBadRequestResponse({ description: 'A parameter or body field is invalid; the message names it', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'No such account (or rule) in this workspace', type: ErrorResponseDto })
@Controller('integrated-accounts/:id')
export class AutomationsController {
  constructor(@Inject(AutomationsService) private readonly automations: AutomationsService) {}

  @Get('automations')
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'automations_get', summary: 'The account\'s automation settings (new hires)' })
  @ApiOkResponse({ type: AutomationSettingsDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<AutomationSettingsDto> {
    return this.automations.settings(workspaceId, id);
  }

  @Put('automations')
  @ApiOperation({
    operationId: 'automations_update',
    summary: 'Set the automation settings',
    description: 'new_hires: users created or reactivated join group_name (created if missing) at once and are removed after remove_after_days.',
  })
  @ApiOkResponse({ type: AutomationSettingsDto })
  put(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Body() body: AutomationSettingsDto, @Query() _query: NoQueryParams): Promise<AutomationSettingsDto> {
    return this.automations.saveSettings(workspaceId, id, body);
  }

  @Get('mapping-rules')
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'mapping_rules_list', summary: 'The account\'s group mapping rules in evaluation order', description: EVALUATION })
  @ApiOkResponse({ type: MappingRuleListDto })
  async list(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() _query: NoQueryParams): Promise<MappingRuleListDto> {
    const result = await this.automations.listRules(workspaceId, id);
    return { result, result_count: result.length };
  }

  @Post('mapping-rules')
  @ApiOperation({ operationId: 'mapping_rules_create', summary: 'Add a group mapping rule', description: EVALUATION })
  @ApiCreatedResponse({ type: MappingRuleDto })
  create(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Body() body: MappingRuleWriteDto, @Query() _query: NoQueryParams): Promise<MappingRuleDto> {
    return this.automations.createRule(workspaceId, id, body);
  }

  @Post('mapping-rules/preview')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'mapping_rules_preview',
    summary: 'Who would join and leave which group under unsaved rules',
    description: 'Computed against the mirror\'s active users (up to 50,000); nothing is saved or sent. Each group lists up to 100 user ids with full counts.',
  })
  @ApiOkResponse({ type: MappingRulePreviewDto })
  preview(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Body() body: MappingRulePreviewRequestDto, @Query() _query: NoQueryParams): Promise<MappingRulePreviewDto> {
    return this.automations.preview(workspaceId, id, body);
  }

  @Get('mapping-rules/:rule_id')
  @RequiresApiKey('directory:read')
  @ApiOperation({ operationId: 'mapping_rules_get', summary: 'Get a mapping rule' })
  @ApiParam(RULE_PARAM)
  @ApiOkResponse({ type: MappingRuleDto })
  getRule(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Param('rule_id') ruleId: string, @Query() _query: NoQueryParams): Promise<MappingRuleDto> {
    return this.automations.getRule(workspaceId, id, ruleId);
  }

  @Patch('mapping-rules/:rule_id')
  @ApiOperation({ operationId: 'mapping_rules_update', summary: 'Change a mapping rule (the fields sent replace the rule\'s)', description: EVALUATION })
  @ApiParam(RULE_PARAM)
  @ApiOkResponse({ type: MappingRuleDto })
  update(
    @CurrentWorkspace() workspaceId: string,
    @Param('id') id: string,
    @Param('rule_id') ruleId: string,
    @Body() body: UpdateMappingRuleDto,
    @Query() _query: NoQueryParams,
  ): Promise<MappingRuleDto> {
    return this.automations.updateRule(workspaceId, id, ruleId, body);
  }

  @Delete('mapping-rules/:rule_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'mapping_rules_delete', summary: 'Delete a mapping rule (its group is no longer rule-managed; members stay)' })
  @ApiParam(RULE_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Param('rule_id') ruleId: string, @Query() _query: NoQueryParams): Promise<void> {
    await this.automations.deleteRule(workspaceId, id, ruleId);
  }

  @Get('automation-conflicts')
  @RequiresApiKey('directory:read')
  @ApiOperation({
    operationId: 'automation_conflicts_list',
    summary: 'Conflicts automations reported instead of looping, most recent first',
    description: 'rule_conflict: an include and an exclude rule both match a user in one group (that membership is left alone). flapping: automations changed one membership AUTOMATIONS_FLAP_LIMIT times within the window (e.g. a console edit undone every sync) and stopped changing it.',
  })
  @ApiOkResponse({ type: AutomationConflictListDto })
  conflicts(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: ConflictListQuery): Promise<AutomationConflictListDto> {
    return this.automations.conflicts(workspaceId, id, query);
  }

  @Post('automation-conflicts/:conflict_id/resolve')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'automation_conflicts_resolve',
    summary: 'Resolve a conflict: a frozen flapping membership is changed by automations again (its count starts afresh)',
    description: 'Resolve after fixing the cause (e.g. agreeing that the console edit should not be made, or changing the rule). Everyone is evaluated again.',
  })
  @ApiParam({ name: 'conflict_id', description: 'Conflict id', format: 'uuid', example: '5d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d' })
  @ApiOkResponse({ type: AutomationConflictDto })
  resolve(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Param('conflict_id') conflictId: string, @Query() _query: NoQueryParams): Promise<AutomationConflictDto> {
    return this.automations.resolveConflict(workspaceId, id, conflictId);
  }
}
