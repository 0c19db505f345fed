import { readFileSync } from 'node:fs';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import {
  ALL_EVENT_TYPES,
  COMMAND_TYPES,
  DEAD_LETTER_TYPES,
  DIRECTORY_EVENT_TYPES,
  OPERATION_RESULT_TYPES,
  ROSTER_RUN_EVENT_TYPES,
  SYNC_RECORD_EVENT_TYPES,
  TOPICS,
  buildCloudEvent,
  buildCommandEvent,
  directoryEventKey,
  emptySyncRunCounts,
  integratedAccountSource,
  toKafkaMessage,
  userCommandKey,
  validateEventData,
  type StoredCommand,
} from '@kb4/contracts';
import { ASYNCAPI_PATH, generateAsyncApiYaml } from '../../scripts/asyncapi/generate-asyncapi';

const committed = readFileSync(ASYNCAPI_PATH, 'utf8');

let parsing: ReturnType<Parser['parse']> | undefined;
/** The committed file, parsed once for every test. */
function parsed(): ReturnType<Parser['parse']> {
  parsing ??= new Parser().parse(committed);
  return parsing;
}

describe('asyncapi.yaml (the Kafka contract for consumers in any language)', () => {
  it('is exactly what `npm run asyncapi` generates from libs/contracts today (no drift)', () => {
    expect(committed).toBe(generateAsyncApiYaml());
  });

  it('parses as AsyncAPI 3.0 with no errors and no warnings', async () => {
    const { document, diagnostics } = await parsed();
    const problems = diagnostics
      // errors (0) and warnings (1); info and hints (such as 'AsyncAPI 3.1 exists') are fine
      .filter((d) => Number(d.severity) <= Number(DiagnosticSeverity.Warning))
      .map((d) => `${d.code} ${d.path.join('.')}: ${d.message}`);
    expect(problems).toEqual([]);
    expect(document?.version()).toBe('3.0.0');
  });

  it('names every topic in TOPICS as a channel address and every event/command type as a message', async () => {
    const { document } = await parsed();
    const addresses = document!.channels().all().map((channel) => channel.address());
    expect([...addresses].sort()).toEqual(Object.values(TOPICS).sort());
    const messageNames = document!.components().messages().all().map((message) => message.name());
    expect([...messageNames].sort()).toEqual([...ALL_EVENT_TYPES].sort());
    const onChannels = document!.channels().all().flatMap((channel) => channel.messages().all().map((m) => m.name()));
    expect(new Set(onChannels)).toEqual(new Set(ALL_EVENT_TYPES));
  });

  describe('validates real events built by the contracts against the published schemas', () => {
    const ACCOUNT = 'acc_1';
    const source = integratedAccountSource(ACCOUNT);
    const time = '2026-11-28T03:00:00.000Z';
    const user = { id: '42', status: 'active', emails: [{ email: 'ada@example.com', type: 'work', is_primary: true }], groups: [] };
    const createUser: StoredCommand = {
      type: COMMAND_TYPES.createUser,
      key: userCommandKey(ACCOUNT, 'grace@example.com'),
      payload: { user_name: 'grace@example.com', user: { username: 'grace@example.com', first_name: 'Grace', manager: null } },
    };
    const cases = [
      {
        topic: TOPICS.directoryEvents,
        key: directoryEventKey(ACCOUNT, 'user', 42),
        type: DIRECTORY_EVENT_TYPES.userUpdated,
        data: {
          integrated_account_id: ACCOUNT,
          sync_run_id: 'run_1',
          remote_id: '42',
          user,
          // `from: undefined` (a field that had no value) is absent once serialised
          changes: [{ field: 'title', from: null, to: 'CTO' }, { field: 'department', to: 'Research' }],
        },
      },
      {
        topic: TOPICS.provisioningCommands,
        key: userCommandKey(ACCOUNT, 'Ada@Example.com'),
        type: COMMAND_TYPES.updateUser,
        data: {
          operation_id: 'op_1',
          integrated_account_id: ACCOUNT,
          attempt: 1,
          user_name: 'ada@example.com',
          user_id: '42',
          scim_id: null,
          changes: { title: null, manager: null, emails: [{ email: 'ada@example.com', type: 'work', is_primary: true }] },
        },
      },
      {
        topic: TOPICS.syncRuns,
        key: ACCOUNT,
        type: 'knowbe4.sync_run.completed',
        data: {
          integrated_account_id: ACCOUNT,
          sync_run_id: 'run_1',
          trigger: 'manual',
          started_at: time,
          completed_at: time,
          complete: true,
          counts: emptySyncRunCounts(),
        },
      },
      {
        topic: TOPICS.provisioningCommands,
        key: createUser.key,
        type: COMMAND_TYPES.createUser,
        data: buildCommandEvent({ id: 'evt_c', operation: { id: 'op_2', accountId: ACCOUNT }, command: createUser, attempt: 1 }).data,
      },
      {
        topic: TOPICS.provisioningResults,
        key: createUser.key,
        type: OPERATION_RESULT_TYPES.failed,
        data: {
          operation_id: 'op_2',
          integrated_account_id: ACCOUNT,
          command_type: COMMAND_TYPES.createUser,
          attempt: 3,
          completed_at: time,
          error: { code: 'rate_limit_error', message: 'KnowBe4 answered 429', retryable: true, status: 429 },
        },
      },
      {
        topic: TOPICS.provisioningDlq,
        key: createUser.key,
        type: DEAD_LETTER_TYPES.deadLettered,
        data: {
          command: buildCommandEvent({ id: 'evt_c', operation: { id: 'op_2', accountId: ACCOUNT }, command: createUser, attempt: 5 }),
          error: { code: 'remote_error', message: 'KnowBe4 answered 503', retryable: true, status: 503 },
          attempts: 5,
          dead_lettered_at: time,
          source_topic: TOPICS.provisioningCommands,
          source_partition: 0,
          source_offset: '17',
        },
      },
      {
        topic: TOPICS.syncRuns,
        key: ACCOUNT,
        type: SYNC_RECORD_EVENT_TYPES.recordSkipped,
        data: { integrated_account_id: ACCOUNT, sync_run_id: 'run_1', entity: 'user', remote_id: '7', page: 2, reason: 'too_large' },
      },
      {
        topic: TOPICS.rosterRuns,
        key: ACCOUNT,
        type: ROSTER_RUN_EVENT_TYPES.started,
        data: { integrated_account_id: ACCOUNT, roster_run_id: 'rr_1', forced: false, started_at: time, counts: { planned: 3, done: 0, failed: 0 } },
      },
      {
        topic: TOPICS.rosterRuns,
        key: ACCOUNT,
        type: ROSTER_RUN_EVENT_TYPES.failed,
        data: {
          integrated_account_id: ACCOUNT,
          roster_run_id: 'rr_1',
          forced: true,
          started_at: time,
          failed_at: time,
          counts: { planned: 3, done: 2, failed: 1 },
          error: { code: 'roster_items_failed', message: '1 of 3 changes failed', retryable: false },
        },
      },
    ];

    it.each(cases)('$type on $topic: payload, headers and key match', async ({ topic, key, type, data }) => {
      const { document } = await parsed();
      const channel = document!.channels().all().find((c) => c.address() === topic)!;
      const message = channel.messages().all().find((m) => m.name() === type)!;
      expect(message).toBeDefined();
      // the sample is valid for the DTO the producer and consumer use, so DTO and schema agree on it
      expect(validateEventData({ type, data })).toMatchObject({ ok: true });
      const kafka = toKafkaMessage(buildCloudEvent({ id: 'evt_1', type, source, time, data }), key);
      const ajv = new Ajv({ strict: false, allErrors: true });
      addFormats(ajv);
      expect(ajv.validate(message.payload()!.json(), JSON.parse(kafka.value)) ? [] : ajv.errors).toEqual([]);
      expect(ajv.validate(message.headers()!.json(), kafka.headers) ? [] : ajv.errors).toEqual([]);
      const keySchema = message.bindings().get('kafka')!.value<{ key: object }>().key;
      expect(ajv.validate(keySchema, kafka.key) ? [] : ajv.errors).toEqual([]);
    });

    it('refuses an event whose data breaks its schema (a skipped record with an unknown reason)', async () => {
      const { document } = await parsed();
      const message = document!.components().messages().all().find((m) => m.name() === SYNC_RECORD_EVENT_TYPES.recordSkipped)!;
      const data = { integrated_account_id: ACCOUNT, sync_run_id: 'run_1', entity: 'user', remote_id: '7', page: 2, reason: 'secret' };
      const event = buildCloudEvent({ id: 'evt_2', type: SYNC_RECORD_EVENT_TYPES.recordSkipped, source, time, data });
      const ajv = new Ajv({ strict: false });
      addFormats(ajv);
      expect(ajv.validate(message.payload()!.json(), event)).toBe(false);
    });
  });
});
