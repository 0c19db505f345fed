import { All, Controller, Delete, Get, HttpCode, Inject, Patch, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiBody,
  ApiExcludeEndpoint,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { RequiresApiKey } from '../auth/api-key.guard';
import { CurrentWorkspace } from '../auth/current-workspace.decorator';
import { ErrorResponseDto } from '../http/error-response.dto';
import { ScimPatchBody, ScimUserBody } from './proxy-bodies.dto';
import { ProxyService } from './proxy.service';

const paramsOf = (surface: 'reporting' | 'scim'): MethodDecorator[] => [
  ApiParam({ name: 'integrated_account_id', type: String, format: 'uuid', description: 'The integrated account whose KnowBe4 tenant is called, with its credentials', example: '0b6f3c57-5d55-4a1e-9c43-2f0d7b1de0a1' }),
  ApiParam({
    name: 'path',
    type: String,
    description: `Path below the ${surface === 'scim' ? 'SCIM base, e.g. Users or Users/{scim id}' : 'Reporting base, e.g. users or users/123'} (no percent-encoding, no dot segments)`,
    example: surface === 'scim' ? 'Users' : 'users',
  }),
];
const REPORTING = ':integrated_account_id/reporting/*path';
const SCIM = ':integrated_account_id/scim/*path';

/** `status`: what KnowBe4 answers on success (passed through); `body`: the SCIM body forwarded unchanged. */
function documented(operationId: string, summary: string, options: { status?: number; body?: typeof ScimUserBody | typeof ScimPatchBody } = {}): MethodDecorator {
  return (target, key, descriptor) => {
    ApiOperation({ operationId, summary })(target, key, descriptor);
    const status = options.status ?? 200;
    const description = status === 204 ? 'KnowBe4 answered 204 (no body), passed through' : `KnowBe4's ${status} and its JSON body, passed through`;
    // any JSON KnowBe4 sends: Reporting lists are arrays, SCIM answers objects
    const json = { oneOf: [{ type: 'object', additionalProperties: true }, { type: 'array', items: {} }] };
    ApiResponse(status === 204 ? { status, description } : { status, description, schema: json })(target, key, descriptor);
    if (options.body) {
      ApiConflictResponse({ description: 'KnowBe4 SCIM refused the write as a conflict (e.g. the userName is taken): a remote error', type: ErrorResponseDto })(target, key, descriptor);
    }
    if (options.body) ApiBody({ type: options.body, description: 'Forwarded to KnowBe4 unchanged (application/json or application/scim+json)' })(target, key, descriptor);
    for (const param of paramsOf(operationId.startsWith('proxy_scim') ? 'scim' : 'reporting')) param(target, key, descriptor);
  };
}

/** 1:1 passthrough to the account's own KnowBe4 Reporting and SCIM bases, with its credentials injected. */
@ApiTags('proxy')
@RequiresApiKey('directory:write') // GET routes below need only directory:read; every other method writes
@ApiBadRequestResponse({ description: 'The path would leave the KnowBe4 base URL, or the method is not allowed', type: ErrorResponseDto })
@ApiNotFoundResponse({ description: 'No such integrated account in this workspace, or KnowBe4 answered 404 (a remote error)', type: ErrorResponseDto })
@ApiBadGatewayResponse({
  description: 'KnowBe4 answered 5xx or could not be reached (a remote error). Its 4xx answers keep their status, in the one error shape with truto_is_remote_error',
  type: ErrorResponseDto,
})
@ApiTooManyRequestsResponse({
  description:
    "No slot of the account's KnowBe4 budget came within KNOWBE4_MAX_QUEUE_WAIT_MS, or the day's budget is spent: our own pacing, so " +
    'truto_error_insight is rate_limit_error without truto_is_remote_error; nothing was sent to KnowBe4. KnowBe4\'s own 429 passes through as a remote error.',
  type: ErrorResponseDto,
  headers: { 'retry-after': { description: 'Seconds until a retry is likely to get a slot', schema: { type: 'integer' } } },
})
@Controller('proxy')
export class ProxyController {
  constructor(@Inject(ProxyService) private readonly proxy: ProxyService) {}

  @Get(REPORTING)
  @RequiresApiKey('directory:read')
  @documented('proxy_reporting_get', 'GET any Reporting API path of the account (read-only API)')
  reportingGet(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @All(REPORTING)
  @HttpCode(405)
  @ApiExcludeEndpoint()
  reportingOther(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @Get(SCIM)
  @RequiresApiKey('directory:read')
  @documented('proxy_scim_get', 'GET a SCIM 2.0 path of the account')
  scimGet(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @Post(SCIM)
  @documented('proxy_scim_post', 'POST to a SCIM 2.0 path of the account (create a User or Group)', { status: 201, body: ScimUserBody })
  scimPost(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @Put(SCIM)
  @documented('proxy_scim_put', 'PUT a SCIM 2.0 resource of the account (replace a User)', { body: ScimUserBody })
  scimPut(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @Patch(SCIM)
  @documented('proxy_scim_patch', 'PATCH a SCIM 2.0 resource of the account (a PatchOp)', { body: ScimPatchBody })
  scimPatch(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @Delete(SCIM)
  @documented('proxy_scim_delete', 'DELETE a SCIM 2.0 resource of the account (KnowBe4 archives users)', { status: 204 })
  scimDelete(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }

  @All(SCIM)
  @ApiExcludeEndpoint()
  scimOther(@CurrentWorkspace() workspaceId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    return this.proxy.forward(workspaceId, request, response);
  }
}
