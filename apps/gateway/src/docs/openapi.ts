import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { JSON_BODY_LIMITS } from '../http/hostile-input';
import { applyGatewayConventions } from './openapi-conventions';

const DESCRIPTION = [
  'KnowBe4 as a unified user directory: Truto-style Unified User Directory API, integrated accounts and proxy.',
  '',
  'Every request carries `Authorization: Bearer <api key>`; everything of another workspace is a 404.',
  'Lists answer `{result, next_cursor, prev_cursor, result_count}`; `next_cursor` is null on the last page.',
  'Errors always have the shape `{statusCode, error, message, details?, request_id}`, plus `truto_is_remote_error`,',
  '`raw_response` and `truto_error_insight` when KnowBe4 caused them. Responses carry `ratelimit-limit`,',
  '`ratelimit-remaining` and `ratelimit-reset`.',
  '',
  `Request bodies are read only after the API key is authenticated, and must be UTF-8 JSON of at most ${JSON_BODY_LIMITS.maxBytes / 1024 / 1024} MiB,`,
  `nested at most ${JSON_BODY_LIMITS.maxDepth} levels, with no array over ${JSON_BODY_LIMITS.maxArrayItems} items and no string over`,
  `${JSON_BODY_LIMITS.maxStringLength} characters (each field's own \`maxLength\` / \`maxItems\` below is lower). A string, key, query or`,
  'path parameter with NUL, another control character (TAB, CR and LF aside in bodies) or a lone UTF-16 surrogate is',
  'a 400 naming it in `details`. Failed authentications are limited per client address (AUTH_FAILURE_LIMIT_PER_MINUTE,',
  'default 20): past it, 429 with `retry-after` before the key is even looked up.',
].join('\n');

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('kb4-directory')
    .setDescription(DESCRIPTION)
    .setVersion('0.1.0')
    .setLicense('Apache-2.0', 'https://www.apache.org/licenses/LICENSE-2.0')
    // relative: the document is served by the gateway it describes, so "Try it out" calls that same origin
    .addServer('/', 'This gateway')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'kb4_…', description: 'A workspace API key (`kb4_…`, shown once when issued); its scopes decide which routes answer (403 otherwise)' })
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'opaque', description: 'The operator token (ADMIN_TOKEN) of the /admin API' }, 'admin_token')
    .addTag('integrated-accounts', 'Connected KnowBe4 accounts: credentials verified before saving, stored encrypted, never returned')
    .addTag('unified-user-directory', 'Users and groups in Truto\'s unified shape, served from the mirror the poller keeps')
    .addTag('proxy', '1:1 passthrough to the account\'s own KnowBe4 Reporting and SCIM bases')
    .addTag('operations', 'Provisioning operations (the status of each write, the failed ones, retry) and the health probes')
    .addTag('webhooks', 'Signed webhooks (Standard Webhooks): subscriptions, the delivery log and redelivery')
    .addTag('admin', 'The operator\'s API (ADMIN_TOKEN): workspaces and their scoped API keys')
    .addTag('api-keys', 'A workspace\'s own API keys, for a key with accounts:manage: list and revoke')
    .addTag('roster', 'Desired-state roster sync: a full roster (JSON, NDJSON or CSV) planned against the mirror, dry run or roster run, its exclusions and progress')
    .addTag('automations', 'Lifecycle automations of an account: new hires into a group, group mapping rules (preview, re-evaluation) and the conflicts reported instead of looped')
    .addTag('audit', 'The compliance audit log: every change to a user or group, once, append-only and hash-chained per account; filters, exports, chain verification and signed checkpoints')
    .build();
  return applyGatewayConventions(SwaggerModule.createDocument(app, config, { operationIdFactory: (_controller, method) => method }));
}

/** Swagger UI at /docs and the JSON at /docs-json. */
export function mountOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}
