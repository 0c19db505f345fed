import type { ProvisioningStack } from '../../provisioner/support/provisioning-stack';

/** The parts of an OpenAPI 3.0 document the walk reads. */
export interface SpecSchema {
  $ref?: string;
  type?: string;
  properties?: Record<string, SpecSchema>;
  example?: unknown;
}

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  example?: unknown;
  schema?: SpecSchema;
}

export interface SpecOperation {
  operationId: string;
  parameters?: SpecParameter[];
  requestBody?: { content: Record<string, { schema?: SpecSchema }> };
  responses: Record<string, unknown>;
  security?: Array<Record<string, string[]>>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, SpecOperation>>;
  components: { schemas: Record<string, SpecSchema> };
}

/**
 * Ids of what the walk created, by the path template of the collection they live in (`/unified/user-directory/users`,
 * `/admin/workspaces/{id}/api-keys`: a path up to the `{id}` that addresses them), plus `operation` (the latest
 * write's) and whatever the table's hooks keep.
 */
export type WalkIds = Record<string, string | undefined>;

export interface WalkContext {
  stack: ProvisioningStack;
  ids: WalkIds;
  /** The gateway's ADMIN_TOKEN, sent where an operation's security names `admin_token`. */
  adminToken: string;
  /** A webhook receiver the test runs (answers 200 to every POST). */
  receiverUrl: string;
}

/** How the walk reaches an operation that example values alone cannot (one row per operationId in walk-table.ts). */
export interface WalkPlan {
  /** Path parameters by name (the proxy's `path` is sent as is, others are percent-encoded). */
  params?(context: WalkContext): Record<string, string>;
  /** Query parameters added to the required ones. */
  query?(context: WalkContext): Record<string, string>;
  /** The body to send, from the spec's example. */
  body?(context: WalkContext, example: Record<string, unknown>): unknown;
  /** Headers, e.g. another credential than the workspace API key. */
  headers?(context: WalkContext): Record<string, string>;
  before?(context: WalkContext): Promise<void>;
  /** Runs with the answer's body — or, for a write, the finished operation. */
  after?(context: WalkContext, answer: Record<string, unknown>): Promise<void>;
  /** Sends the request itself instead of the walk's api() (a stream that never ends is read up to what proves it works). */
  send?(context: WalkContext, request: { url: string; headers: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown> }>;
  /** false: a 2xx with an operation that is not expected to succeed (not used by any row yet). */
  expectOperation?: boolean;
}

const METHOD_RANK: Record<string, number> = { POST: 0, GET: 1, PUT: 2, PATCH: 3, DELETE: 4 };

function paramCount(path: string): number {
  return (path.match(/\{[^}]+\}/g) ?? []).length;
}

/**
 * Writes to top-level collections first (creates, and PUTs of a whole collection such as the roster), so everything
 * else has an object to address; then reads and changes; then deletes — of sub-resources before their holders.
 */
function phaseOf(method: string, path: string): number {
  if ((method === 'POST' || method === 'PUT') && paramCount(path) === 0) return 0;
  if (method === 'DELETE') return 4 - Math.min(paramCount(path), 2);
  return 1;
}

export interface WalkStep {
  method: string;
  path: string;
  operation: SpecOperation;
}

export function operationsInWalkOrder(spec: OpenApiDocument): WalkStep[] {
  const steps = Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })),
  );
  return steps.sort(
    (a, b) =>
      phaseOf(a.method, a.path) - phaseOf(b.method, b.path) ||
      a.path.localeCompare(b.path) ||
      (METHOD_RANK[a.method] ?? 9) - (METHOD_RANK[b.method] ?? 9),
  );
}

function resolve(spec: OpenApiDocument, schema: SpecSchema): SpecSchema {
  return schema.$ref ? spec.components.schemas[schema.$ref.split('/').pop() as string] : schema;
}

/** The request body's schema and its example: what Swagger UI fills "Try it out" with. */
export function bodyExampleOf(spec: OpenApiDocument, operation: SpecOperation): { schema: SpecSchema; example: unknown } {
  const media = operation.requestBody?.content['application/json'];
  const schema = media?.schema ? resolve(spec, media.schema) : {};
  return { schema, example: schema.example };
}

/** The path before `{name}`: `/unified/user-directory/users/{id}/groups` → `/unified/user-directory/users`. */
function collectionBefore(path: string, name: string): string | undefined {
  const at = path.indexOf(`/{${name}}`);
  return at > 0 ? path.slice(0, at) : undefined;
}

function pathParameter(step: WalkStep, parameter: SpecParameter, context: WalkContext, given: Record<string, string>): string {
  if (given[parameter.name] !== undefined) return given[parameter.name];
  if (parameter.name === 'integrated_account_id') return context.stack.accountId;
  const collection = collectionBefore(step.path, parameter.name);
  const id = collection === undefined ? undefined : context.ids[collection];
  if (id !== undefined) return id;
  const example = parameter.example ?? parameter.schema?.example;
  if (typeof example === 'string' || typeof example === 'number') return String(example);
  throw new Error(`${step.method} ${step.path}: no value for path parameter ${parameter.name} (add one to walk-table.ts)`);
}

/** The request for one step: path parameters from created objects, required query parameters, the example body. */
export function requestFor(
  spec: OpenApiDocument,
  step: WalkStep,
  plan: WalkPlan,
  context: WalkContext,
): { url: string; body?: unknown; headers: Record<string, string> } {
  const parameters = step.operation.parameters ?? [];
  const given = plan.params?.(context) ?? {};
  let url = step.path;
  for (const parameter of parameters.filter((p) => p.in === 'path')) {
    const value = pathParameter(step, parameter, context, given);
    url = url.replace(`{${parameter.name}}`, parameter.name === 'path' ? value : encodeURIComponent(value));
  }
  const query = new URLSearchParams();
  for (const parameter of parameters.filter((p) => p.in === 'query' && p.required)) {
    const value = parameter.name === 'integrated_account_id' ? context.stack.accountId : (parameter.example ?? parameter.schema?.example);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`${step.method} ${step.path}: required query parameter ${parameter.name} has no example`);
    query.set(parameter.name, String(value));
  }
  for (const [name, value] of Object.entries(plan.query?.(context) ?? {})) query.set(name, value);
  if (query.size > 0) url = `${url}?${query.toString()}`;
  const example = step.operation.requestBody ? (bodyExampleOf(spec, step.operation).example as Record<string, unknown>) : undefined;
  const body = example === undefined ? undefined : plan.body ? plan.body(context, structuredClone(example)) : example;
  // the credential the operation's security asks for: the workspace API key (api() sends it) or the operator token
  const schemes = (step.operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  const auth: Record<string, string> = schemes.includes('admin_token') ? { authorization: `Bearer ${context.adminToken}` } : {};
  return { url, body, headers: { ...auth, ...plan.headers?.(context) } };
}

/** The id of what a top-level create made: the answer's `id`, or for a write the SCIM id of the applied operation. */
export function createdIdOf(answer: Record<string, unknown>): string | undefined {
  const scim = answer.scim_response as { scim_id?: unknown } | null | undefined;
  if (typeof scim?.scim_id === 'string') return scim.scim_id;
  const result = answer.result as { id?: unknown } | null | undefined;
  if (typeof result?.id === 'string') return result.id;
  return typeof answer.id === 'string' ? answer.id : undefined;
}

/** Where a create's id is kept: under its collection, the path of a POST that does not end in a parameter. */
export function collectionOf(step: WalkStep): string | undefined {
  return step.method === 'POST' && !step.path.endsWith('}') ? step.path : undefined;
}
