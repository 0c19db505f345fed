import { api, finishedOperation, type ProvisioningStack } from '../../provisioner/support/provisioning-stack';
import type { WalkContext, WalkPlan } from './openapi-walk';

async function setFaults(stack: ProvisioningStack, rules: unknown[] | null): Promise<void> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
    method: rules ? 'PUT' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: rules ? JSON.stringify({ seed: 7, rules }) : undefined,
  });
  if (!response.ok) throw new Error(`sandbox faults: ${response.status}`);
}

/** A group create that KnowBe4 refuses once (400): a failed operation, which is what a retry replays. */
async function failedOperation({ stack, ids }: WalkContext): Promise<void> {
  await setFaults(stack, [{ path_prefix: '/scim/v2/Groups', method: 'POST', statuses: [400], times: 1 }]);
  try {
    const accepted = await api<{ id: string }>(stack, 'POST', `/unified/user-directory/groups?integrated_account_id=${stack.accountId}`, { body: { name: 'Walk: retried' } });
    const finished = await finishedOperation(stack, accepted.body.id);
    if (finished.status !== 'failed') throw new Error(`expected the faulted group create to fail, got ${JSON.stringify(finished)}`);
    ids.failedOperation = accepted.body.id;
  } finally {
    await setFaults(stack, null);
  }
}

/**
 * A delivery in the webhook's log to redeliver: the row the dispatcher stores for an event it sent (written directly —
 * the dispatcher and its Kafka consumption are what the webhooks e2e tests walk, not this one).
 */
async function loggedDelivery({ stack, ids }: WalkContext): Promise<void> {
  const [row] = await stack.query<{ id: string }>(
    `INSERT INTO webhook_deliveries (webhook_id, event_type, event_id, record_key, payload, status, attempt_count, finished_at)
     VALUES ($1, 'record:created', 'walk-event-1', 'walk:user:1', $2::jsonb, 'failed', 1, now()) RETURNING id`,
    [
      ids['/webhooks'],
      JSON.stringify({
        type: 'record:created',
        timestamp: new Date().toISOString(),
        resource: 'user',
        integrated_account_id: stack.accountId,
        data: { id: '1', username: 'walk@example.com' },
      }),
    ],
  );
  ids['/webhooks/{id}/deliveries'] = row.id;
}

/** A second key of the walk's own workspace (made with the operator token), so revoking it leaves the walk's key working. */
async function spareApiKey({ stack, ids, adminToken }: WalkContext): Promise<void> {
  const created = await api<{ id: string }>({ gateway: stack.gateway, apiKey: adminToken }, 'POST', `/admin/workspaces/${stack.workspaceId}/api-keys`, {
    body: { label: 'walk: to revoke', scopes: ['directory:read'] },
  });
  if (created.status !== 201) throw new Error(`spare API key: ${created.status} ${JSON.stringify(created.body)}`);
  ids['/api-keys'] = created.body.id;
}

/** A dry-run roster run to read back: GET /roster-runs/{id} comes before the PUT that makes one in walk order. */
async function rosterRun({ stack, ids }: WalkContext): Promise<void> {
  if (ids.rosterRun) return;
  const response = await fetch(`${stack.gateway.url}/unified/user-directory/roster?integrated_account_id=${stack.accountId}&dry_run=true`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'text/csv' },
    body: 'email,first_name\nwalk.roster@example.com,Walk\n',
  });
  const body = (await response.json()) as { plan?: { roster_run_id?: string } };
  if (response.status !== 200 || !body.plan?.roster_run_id) throw new Error(`roster dry run: ${response.status} ${JSON.stringify(body)}`);
  ids.rosterRun = body.plan.roster_run_id;
}

/** A flapping conflict of the walk's account to resolve (what apps/automations reports; it does not run in this walk). */
async function reportedConflict({ stack, ids }: WalkContext): Promise<void> {
  const [row] = await stack.query<{ id: string }>(
    `INSERT INTO automation_conflicts (account_id, kind, user_seq, user_id, group_seq, group_name, details)
     VALUES ($1, 'flapping', 1, '1', 1, 'Walk: flapping', '{}') RETURNING id`,
    [ids['/integrated-accounts']],
  );
  ids.conflict = row.id;
}

/** A roster apply (202) runs its operations in the background: wait until the run has completed, with nothing failed. */
async function completedRosterRun({ stack }: WalkContext, answer: Record<string, unknown>): Promise<void> {
  const id = (answer.roster_run as { id: string }).id;
  for (let round = 0; round < 120; round++) {
    const run = (await api<{ status: string; counts: Record<string, number> }>(stack, 'GET', `/roster-runs/${id}`)).body;
    if (run.status === 'completed') {
      if (run.counts.failed !== 0) throw new Error(`roster run ${id} completed with failures: ${JSON.stringify(run)}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`roster run ${id} did not complete: ${JSON.stringify((await api(stack, 'GET', `/roster-runs/${id}`)).body)}`);
}

/** The live-event stream never ends: it is read until its `ready` event (the gateway's consumer joined), then closed. */
async function readyFromStream({ stack }: WalkContext, request: { url: string; headers: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown> }> {
  const abort = new AbortController();
  const response = await fetch(`${stack.gateway.url}${request.url}`, { headers: { authorization: `Bearer ${stack.apiKey}`, ...request.headers }, signal: abort.signal });
  let text = '';
  try {
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    while (response.ok && !text.includes('event: ready')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    abort.abort();
  }
  if (response.ok && !text.includes('event: ready')) throw new Error(`GET /events/stream ended without its ready event: ${text}`);
  return { status: response.status, body: { content_type: response.headers.get('content-type'), stream: text } };
}

/** An export is NDJSON (one entry per line), not one JSON document: each line must parse. */
async function exportedLines({ stack }: WalkContext, request: { url: string; headers: Record<string, string> }): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.gateway.url}${request.url}`, { headers: { authorization: `Bearer ${stack.apiKey}`, ...request.headers } });
  const text = await response.text();
  if (!response.ok) return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  const lines = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as unknown);
  return { status: response.status, body: { content_type: response.headers.get('content-type'), lines: lines.length } };
}

const USERS = '/unified/user-directory/users';
const GROUPS = '/unified/user-directory/groups';

const proxyUserPath = ({ ids }: WalkContext): Record<string, string> => ({ path: `Users/${ids.proxyUser}` });

/**
 * What the walk cannot take from the spec's examples, by operationId: the sandbox tenant's real credentials, ids of
 * objects the walk created where a body or an unusual parameter names them, and the setup an operation needs.
 * Everything not listed is walked from openapi.json alone.
 */
export function walkTable(): Record<string, WalkPlan> {
  return {
    // the example credentials are placeholders; KnowBe4 (the sandbox) checks them before the account is saved
    integrated_accounts_create: {
      body: ({ stack }, example) => ({ ...example, reporting_api_key: stack.tenant.reporting_api_key, scim_token: stack.tenant.scim_token, scim_base_url: stack.tenant.scim_base_url }),
    },
    integrated_accounts_update: {
      body: ({ stack }, example) => ({ ...example, scim_base_url: stack.tenant.scim_base_url }),
    },
    unified_users_create: {
      body: ({ ids }, example) => ('groups' in example ? { ...example, groups: [{ id: ids[GROUPS] }] } : example),
    },
    unified_group_members_add: {
      body: ({ ids }, example) => ({ ...example, user_ids: [ids[USERS]] }),
    },
    unified_group_members_remove: {
      params: ({ ids }) => ({ user_id: ids[USERS] as string }),
    },
    operations_get: {
      params: ({ ids }) => ({ id: ids.operation as string }),
    },
    operations_retry: {
      before: failedOperation,
      params: ({ ids }) => ({ id: ids.failedOperation as string }),
    },
    proxy_scim_post: {
      after: async ({ ids }, answer) => {
        ids.proxyUser = answer.id as string;
      },
    },
    // a receiver this test runs instead of the example's host; deliveries are the dispatcher's (not part of this walk)
    webhooks_create: {
      body: ({ stack, receiverUrl }, example) => ({ ...example, url: receiverUrl, integrated_account_ids: [stack.accountId] }),
    },
    webhooks_update: {
      body: ({ receiverUrl }, example) => ({ ...example, url: `${receiverUrl}/v2` }),
    },
    webhooks_deliveries_redeliver: { before: loggedDelivery },
    api_keys_revoke: { before: spareApiKey },
    // applied for real, so the example writes through to the sandbox: a PUT of a whole collection is walked among the
    // creates, before the walk's own users reach the mirror, so the one-person roster archives nobody (no guard rail)
    unified_roster_put: { after: completedRosterRun },
    roster_runs_get: { before: rosterRun, params: ({ ids }) => ({ id: ids.rosterRun as string }) },
    roster_runs_items: { before: rosterRun, params: ({ ids }) => ({ id: ids.rosterRun as string }) },
    automation_conflicts_resolve: { before: reportedConflict, params: ({ ids }) => ({ conflict_id: ids.conflict as string }) },
    live_events_stream: { send: readyFromStream },
    // the walk's own account; the checkpoint made is the one presented for verification (walked right after it)
    audit_events_checkpoint: {
      body: ({ stack }, example) => ({ ...example, integrated_account_id: stack.accountId }),
      after: async ({ ids }, answer) => {
        ids.auditCheckpoint = JSON.stringify(answer);
      },
    },
    audit_events_checkpoint_verify: { body: ({ ids }) => JSON.parse(ids.auditCheckpoint as string) as unknown },
    audit_events_export: { send: exportedLines },
    proxy_scim_put: { params: proxyUserPath },
    proxy_scim_patch: { params: proxyUserPath },
    proxy_scim_delete: { params: proxyUserPath },
  };
}
