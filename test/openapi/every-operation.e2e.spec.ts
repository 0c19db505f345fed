import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, finishedOperation, ProvisioningStack, startProvisioningStack } from '../provisioner/support/provisioning-stack';
import { bodyExampleOf, collectionOf, createdIdOf, OpenApiDocument, operationsInWalkOrder, requestFor, WalkContext, WalkPlan } from './support/openapi-walk';
import { responseValidators } from './support/response-schemas';
import { walkTable } from './support/walk-table';

jest.setTimeout(300_000);

/**
 * Swagger UI's "Try it out" for every operation of the served openapi.json, against gateway + provisioner + the
 * KnowBe4 sandbox + the broker: each request is built from the spec (its examples; ids of objects this walk created,
 * since example ids do not exist), must get a documented 2xx, and a write must then succeed in the sandbox.
 */
describe('every operation in openapi.json, walked with its examples', () => {
  let stack: ProvisioningStack;
  let spec: OpenApiDocument;
  let receiver: Server;
  let context: WalkContext;
  const adminToken = randomBytes(32).toString('base64url');

  beforeAll(async () => {
    // where the walk's webhooks point: a local receiver (hence WEBHOOKS_ALLOW_PRIVATE / _HTTP, as under npm start)
    receiver = createServer((request, response) => {
      request.resume();
      request.once('end', () => response.writeHead(200).end());
    });
    await new Promise<void>((listening) => receiver.listen(0, '127.0.0.1', listening));
    stack = await startProvisioningStack('kb4_test_openapi_walk', {
      users: 5,
      extraEnv: { ADMIN_TOKEN: adminToken, WEBHOOKS_ALLOW_PRIVATE: 'true', WEBHOOKS_ALLOW_HTTP: 'true' },
    });
    spec = (await api<OpenApiDocument>(stack, 'GET', '/docs-json')).body;
    context = { stack, ids: {}, adminToken, receiverUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks` };
  });

  afterAll(async () => {
    await stack?.stop();
    await new Promise((closed) => receiver?.close(closed));
  });

  it('gives every request body a schema with properties and an example', () => {
    const bodies = operationsInWalkOrder(spec).filter(({ operation }) => operation.requestBody);
    expect(bodies.length).toBeGreaterThan(5);
    for (const { method, path, operation } of bodies) {
      const { schema, example } = bodyExampleOf(spec, operation);
      expect({ operation: `${method} ${path}`, properties: Object.keys(schema.properties ?? {}).length > 0, example: typeof example }).toEqual({
        operation: `${method} ${path}`,
        properties: true,
        example: 'object',
      });
    }
  });

  it('answers each operation with a documented 2xx in its documented schema, and applies each write in the sandbox', async () => {
    const table = walkTable();
    const validatorFor = responseValidators(spec);
    const walked: string[] = [];
    const undocumented: string[] = [];
    for (const step of operationsInWalkOrder(spec)) {
      const { method, path, operation } = step;
      const where = `${method} ${path} (${operation.operationId})`;
      const plan: WalkPlan = table[operation.operationId] ?? {};
      await plan.before?.(context);
      const request = requestFor(spec, step, plan, context);
      const answer = plan.send ? await plan.send(context, request) : await api(stack, method, request.url, { body: request.body, headers: request.headers });
      const documented = Object.keys(operation.responses).filter((status) => status.startsWith('2'));
      if (!documented.includes(String(answer.status))) {
        throw new Error(`${where}: answered ${answer.status} ${JSON.stringify(answer.body)}; documented 2xx: ${documented.join(', ')}`);
      }
      // the answer is what the spec says it is (what a client generated from openapi.json relies on)
      const validate = validatorFor(operation, answer.status);
      if (validate && !validate(answer.body)) undocumented.push(`${where} ${answer.status}: ${JSON.stringify(validate.errors?.slice(0, 5))}`);
      let outcome = answer.body;
      if (isOperation(answer.body) && plan.expectOperation !== false) {
        context.ids.operation = answer.body.id;
        // a write: it must land in the sandbox
        outcome = await finishedOperation(stack, answer.body.id);
        expect({ where, status: outcome.status, error: outcome.error }).toEqual({ where, status: 'succeeded', error: null });
      }
      const collection = collectionOf(step);
      if (collection) context.ids[collection] = createdIdOf(outcome);
      await plan.after?.(context, outcome);
      walked.push(operation.operationId);
    }
    expect(walked.length).toBe(operationsInWalkOrder(spec).length);
    expect(undocumented).toEqual([]);
  });
});

function isOperation(body: unknown): body is { id: string; status: string; type: string } {
  const candidate = body as { id?: unknown; status?: unknown; type?: unknown } | null;
  return typeof candidate?.id === 'string' && typeof candidate.type === 'string' && /^(user|group)\./.test(candidate.type) && typeof candidate.status === 'string';
}
