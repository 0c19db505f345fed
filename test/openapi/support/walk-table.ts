import { toUnifiedPhishingCampaign, toUnifiedRecipient, toUnifiedSecurityTest } from '@kb4/mapping';
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

/**
 * The identity graph's records the examples name (enrollment 1425526, campaign 242333, security test 16142 and a
 * recipient), as the poller would mirror them from KnowBe4's documented answers (no poller runs in this walk).
 */
async function graphRecords({ stack }: WalkContext): Promise<void> {
  const account = stack.accountId;
  const mapped = <T>(result: { ok: true; record: T } | { ok: false; reason: string }): T => {
    if (!result.ok) throw new Error(result.reason);
    return result.record;
  };
  const campaign = { campaign_id: 242333, name: 'One Phish', groups: [{ group_id: 16342, name: 'Corporate Employees' }], last_phish_prone_percentage: 12.5, last_run: '2026-10-02T15:02:38.000Z', status: 'Closed', hidden: false, send_duration: '3 Business Days', track_duration: '7 Days', frequency: 'One Time', difficulty_filter: [1, 2, 3], create_date: '2025-04-02T15:02:38.000Z', psts_count: 1, psts: [{ pst_id: 16142 }] };
  const test = { campaign_id: 242333, pst_id: 16142, status: 'Closed', name: 'Corporate Test', groups: [{ group_id: 16342, name: 'Corporate Employees' }], phish_prone_percentage: 0.5, started_at: '2026-10-02T15:02:38.000Z', duration: 1, categories: [{ category_id: 4237, name: 'Current Events' }], template: { id: 11428, name: 'CNN Breaking News' }, landing_page: { id: 1842, name: 'SEI Landing Page' }, scheduled_count: 1, delivered_count: 1, opened_count: 1, clicked_count: 0, replied_count: 0, attachment_open_count: 0, macro_enabled_count: 0, data_entered_count: 0, vulnerable_plugin_count: 0, exploited_count: 0, qr_code_scanned_count: 1, reported_count: 0, bounced_count: 0 };
  const recipient = { recipient_id: 3077742, pst_id: 16142, user: { id: 264215, provisioning_guid: null, first_name: 'Bob', last_name: 'Ross', email: 'bob.r@kb4-demo.com' }, template: { id: 11428, name: 'CNN Breaking News' }, scheduled_at: '2026-10-02T15:02:38.000Z', delivered_at: '2026-10-02T15:03:38.000Z', opened_at: '2026-10-02T16:00:00.000Z', clicked_at: null, replied_at: null, attachment_opened_at: null, macro_enabled_at: null, data_entered_at: null, qr_code_scanned: '2026-10-02T16:00:45.000Z', reported_at: null, bounced_at: null, ip: '203.0.113.7', ip_location: 'St.Petersburg, FL', browser: 'Chrome', browser_version: '48.0', os: 'MacOSX' };
  const enrollment = { enrollment_id: 1425526, content_type: 'Uploaded Policy', module_name: 'Acceptable Use Policy', user: { id: 796742, first_name: 'Sarah', last_name: 'Thomas', email: 's_thomas@kb4-demo.com', employee_number: 123456 }, campaign_name: 'New Employee Policies', campaign_id: 4261, store_purchase_id: 7, enrollment_date: '2019-04-02T15:02:38.000Z', start_date: '2019-04-02T15:02:38.000Z', completion_date: '2019-04-02T15:40:38.000Z', status: 'Passed', time_spent: 2340, policy_acknowledged: false };
  await stack.query(
    `INSERT INTO directory_phishing_campaigns (account_id, remote_id, record, remote_data, content_hash) VALUES ($1, 242333, $2, $3, 'walk') ON CONFLICT DO NOTHING`,
    [account, JSON.stringify(mapped(toUnifiedPhishingCampaign(campaign))), JSON.stringify(campaign)],
  );
  await stack.query(
    `INSERT INTO directory_security_tests (account_id, remote_id, campaign_remote_id, started_at, record, remote_data, content_hash) VALUES ($1, 16142, 242333, $2, $3, $4, 'walk') ON CONFLICT DO NOTHING`,
    [account, test.started_at, JSON.stringify(mapped(toUnifiedSecurityTest(test))), JSON.stringify(test)],
  );
  const unifiedRecipient = mapped(toUnifiedRecipient(recipient));
  await stack.query(
    `INSERT INTO directory_phishing_recipients (account_id, remote_id, test_remote_id, user_remote_id, email_lower, scheduled_at, result, record, remote_data, content_hash)
     VALUES ($1, 3077742, 16142, 264215, 'bob.r@kb4-demo.com', $2, $3, $4, $5, 'walk') ON CONFLICT DO NOTHING`,
    [account, recipient.scheduled_at, unifiedRecipient.result, JSON.stringify(unifiedRecipient), JSON.stringify(recipient)],
  );
  await stack.query(
    `INSERT INTO directory_enrollments (account_id, remote_id, user_remote_id, content_hash, record) VALUES ($1, 1425526, 796742, 'walk', $2) ON CONFLICT DO NOTHING`,
    [account, JSON.stringify(enrollment)],
  );
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
    // the identity graph is the poller's (not running here): the records the examples name are mirrored first
    unified_training_enrollments_get: { before: graphRecords },
    unified_phishing_campaigns_get: { before: graphRecords },
    unified_phishing_security_tests_get: { before: graphRecords },
    unified_phishing_security_test_recipients_list: { before: graphRecords },
    proxy_scim_put: { params: proxyUserPath },
    proxy_scim_patch: { params: proxyUserPath },
    proxy_scim_delete: { params: proxyUserPath },
  };
}
