import { Controller, Get, Header, Inject, Param, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { UnifiedReadParams } from '../directory/directory-query.dto';
import { ErrorResponseDto } from '../http/error-response.dto';
import {
  ListPhishingCampaignsQuery,
  ListPhishingRecipientsQuery,
  ListPhishingSecurityTestsQuery,
  ListRiskScoreHistoryQuery,
  ListTrainingEnrollmentsQuery,
} from './identity-graph-query.dto';
import {
  PhishingCampaignDto,
  PhishingCampaignListDto,
  PhishingRecipientListDto,
  PhishingSecurityTestDto,
  PhishingSecurityTestListDto,
  RiskScoreHistoryListDto,
  TrainingEnrollmentDto,
  TrainingEnrollmentListDto,
} from './identity-graph-records.dto';
import { IdentityGraphReadService } from './identity-graph-read.service';

const JSON_TYPE = 'application/json; charset=utf-8';
const SERVED = 'Served from the mirror the poller keeps (no KnowBe4 request); the poller refreshes it on its own cadence and budget.';

/** The identity graph's routes share their tag, scope and error answers. */
function GraphRoutes(): ClassDecorator {
  return (target) => {
    ApiTags('unified-user-directory')(target);
    RequiresApiKey('directory:read')(target);
    ApiBadRequestResponse({ description: 'Invalid or unknown parameter, or a cursor of another query', type: ErrorResponseDto })(target);
    ApiNotFoundResponse({ description: 'Integrated account (or the record named in the path) not found in this workspace', type: ErrorResponseDto })(target);
  };
}

@GraphRoutes()
@Controller('unified/user-directory/training-enrollments')
export class TrainingEnrollmentsController {
  constructor(@Inject(IdentityGraphReadService) private readonly graph: IdentityGraphReadService) {}

  @Get()
  @Header('content-type', JSON_TYPE)
  @ApiOperation({
    operationId: 'unified_training_enrollments_list',
    summary: 'List training enrollments',
    description: `${SERVED} Filter by user (user_id, email or employee_number), status, campaign_id and updated_at. Enrollment-id order.`,
  })
  @ApiOkResponse({ type: TrainingEnrollmentListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: ListTrainingEnrollmentsQuery): Promise<string> {
    return this.graph.listEnrollments(workspaceId, query);
  }

  @Get(':id')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_training_enrollments_get', summary: 'Get a training enrollment by its KnowBe4 id' })
  @ApiParam({ name: 'id', description: 'KnowBe4 enrollment id', example: '1425526' })
  @ApiOkResponse({ type: TrainingEnrollmentDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: UnifiedReadParams): Promise<string> {
    return this.graph.getEnrollment(workspaceId, id, query);
  }
}

@GraphRoutes()
@Controller('unified/user-directory/phishing-campaigns')
export class PhishingCampaignsController {
  constructor(@Inject(IdentityGraphReadService) private readonly graph: IdentityGraphReadService) {}

  @Get()
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_phishing_campaigns_list', summary: 'List phishing campaigns', description: SERVED })
  @ApiOkResponse({ type: PhishingCampaignListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: ListPhishingCampaignsQuery): Promise<string> {
    return this.graph.listCampaigns(workspaceId, query);
  }

  @Get(':id')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_phishing_campaigns_get', summary: 'Get a phishing campaign by its KnowBe4 id' })
  @ApiParam({ name: 'id', description: 'KnowBe4 phishing campaign id', example: '242333' })
  @ApiOkResponse({ type: PhishingCampaignDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: UnifiedReadParams): Promise<string> {
    return this.graph.getCampaign(workspaceId, id, query);
  }
}

@GraphRoutes()
@Controller('unified/user-directory/phishing-security-tests')
export class PhishingSecurityTestsController {
  constructor(@Inject(IdentityGraphReadService) private readonly graph: IdentityGraphReadService) {}

  @Get()
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_phishing_security_tests_list', summary: 'List phishing security tests', description: `${SERVED} Filter by campaign_id.` })
  @ApiOkResponse({ type: PhishingSecurityTestListDto })
  list(@CurrentWorkspace() workspaceId: string, @Query() query: ListPhishingSecurityTestsQuery): Promise<string> {
    return this.graph.listSecurityTests(workspaceId, query);
  }

  @Get(':id/recipients')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({
    operationId: 'unified_phishing_security_test_recipients_list',
    summary: 'List the recipients of a phishing security test',
    description: `${SERVED} Recipients are read for tests that changed or are recent. Filter by user (user_id, email or employee_number) and result.`,
  })
  @ApiParam({ name: 'id', description: 'KnowBe4 security test (pst) id', example: '16142' })
  @ApiOkResponse({ type: PhishingRecipientListDto })
  recipients(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: ListPhishingRecipientsQuery): Promise<string> {
    return this.graph.listRecipients(workspaceId, id, query);
  }

  @Get(':id')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_phishing_security_tests_get', summary: 'Get a phishing security test by its KnowBe4 id' })
  @ApiParam({ name: 'id', description: 'KnowBe4 security test (pst) id', example: '16142' })
  @ApiOkResponse({ type: PhishingSecurityTestDto })
  get(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: UnifiedReadParams): Promise<string> {
    return this.graph.getSecurityTest(workspaceId, id, query);
  }
}

@GraphRoutes()
@Controller('unified/user-directory')
export class RiskScoreHistoryController {
  constructor(@Inject(IdentityGraphReadService) private readonly graph: IdentityGraphReadService) {}

  @Get('users/:id/risk-score-history')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_user_risk_score_history_list', summary: "List a user's risk-score history, newest day first", description: `${SERVED} Users' histories are read in slices that go round all users.` })
  @ApiParam({ name: 'id', description: 'Unified id (KnowBe4 Reporting id) or SCIM id', example: '2147483690' })
  @ApiOkResponse({ type: RiskScoreHistoryListDto })
  user(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: ListRiskScoreHistoryQuery): Promise<string> {
    return this.graph.listUserRiskHistory(workspaceId, id, query);
  }

  @Get('groups/:id/risk-score-history')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_group_risk_score_history_list', summary: "List a group's risk-score history, newest day first", description: SERVED })
  @ApiParam({ name: 'id', description: 'Unified id (KnowBe4 Reporting id) or SCIM id', example: '41' })
  @ApiOkResponse({ type: RiskScoreHistoryListDto })
  group(@CurrentWorkspace() workspaceId: string, @Param('id') id: string, @Query() query: ListRiskScoreHistoryQuery): Promise<string> {
    return this.graph.listGroupRiskHistory(workspaceId, id, query);
  }

  @Get('risk-score-history')
  @Header('content-type', JSON_TYPE)
  @ApiOperation({ operationId: 'unified_account_risk_score_history_list', summary: "List the KnowBe4 account's own risk-score history, newest day first", description: SERVED })
  @ApiOkResponse({ type: RiskScoreHistoryListDto })
  account(@CurrentWorkspace() workspaceId: string, @Query() query: ListRiskScoreHistoryQuery): Promise<string> {
    return this.graph.listAccountRiskHistory(workspaceId, query);
  }
}
