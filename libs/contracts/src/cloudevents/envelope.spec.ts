import { CloudEvent, Kafka, type KafkaMessage } from 'cloudevents';
import { DIRECTORY_EVENT_TYPES, SYNC_RUN_EVENT_TYPES } from '../event-types';
import { directoryEventKey } from '../topics';
import { deterministicEventId, uuidV5 } from './deterministic-id';
import {
  InvalidCloudEventMessageError,
  buildCloudEvent,
  fromKafkaMessage,
  integratedAccountSource,
  toKafkaMessage,
  type CloudEventEnvelope,
} from './envelope';

const accountId = '7b0a3c4e-0000-4000-8000-000000000001';

function userUpdated(subject?: string): CloudEventEnvelope<Record<string, unknown>> {
  return buildCloudEvent({
    id: deterministicEventId([accountId, DIRECTORY_EVENT_TYPES.userUpdated, '667542', 'hash-after']),
    type: DIRECTORY_EVENT_TYPES.userUpdated,
    source: integratedAccountSource(accountId),
    subject,
    time: '2025-01-02T03:04:05Z',
    data: {
      integrated_account_id: accountId,
      sync_run_id: 'run-1',
      remote_id: '667542',
      user: { id: '667542', status: 'active', emails: [], groups: [], external_id: '00000', phish_prone_percentage: 25.6 },
      changes: [{ field: 'title', from: null, to: 'Engineer' }],
    },
  });
}

describe('buildCloudEvent', () => {
  it('builds a CloudEvents 1.0 JSON event with a UTC time', () => {
    expect(userUpdated('users/667542')).toMatchObject({
      specversion: '1.0',
      source: `/integrated-accounts/${accountId}`,
      type: 'knowbe4.user.updated',
      subject: 'users/667542',
      time: '2025-01-02T03:04:05.000Z',
      datacontenttype: 'application/json',
    });
  });

  it('leaves subject out when not given', () => {
    expect('subject' in userUpdated()).toBe(false);
  });
});

describe('toKafkaMessage', () => {
  it('writes structured mode with ce_type and ce_id headers', () => {
    const event = userUpdated('users/667542');
    const message = toKafkaMessage(event, directoryEventKey(accountId, 'user', 667542));
    expect(message.key).toBe(`${accountId}:user:667542`);
    expect(message.headers).toMatchObject({
      'content-type': 'application/cloudevents+json; charset=UTF-8',
      ce_type: 'knowbe4.user.updated',
      ce_id: event.id,
      ce_specversion: '1.0',
    });
    expect(JSON.parse(message.value)).toEqual(event);
  });
});

describe('the official cloudevents SDK reads what we produce', () => {
  const produced = [
    toKafkaMessage(userUpdated('users/667542'), `${accountId}:user:667542`),
    toKafkaMessage(userUpdated(), `${accountId}:user:667542`),
    toKafkaMessage(
      buildCloudEvent({
        id: 'run-1-started',
        type: SYNC_RUN_EVENT_TYPES.started,
        source: integratedAccountSource(accountId),
        time: new Date('2025-01-02T03:04:05.123Z'),
        data: { integrated_account_id: accountId, sync_run_id: 'run-1', trigger: 'manual', started_at: '2025-01-02T03:04:05.123Z' },
      }),
      accountId,
    ),
  ];

  it.each(produced.map((message) => [message.headers.ce_type, message]))('Kafka.toEvent reads %s', (_type, message) => {
    const sdkMessage: KafkaMessage = { key: message.key, value: message.value, headers: message.headers, body: message.value };
    expect(Kafka.isEvent(sdkMessage)).toBe(true);
    const received = Kafka.toEvent(sdkMessage) as CloudEvent<unknown>;
    const ours = JSON.parse(message.value) as CloudEventEnvelope<unknown>;
    expect(received.id).toBe(ours.id);
    expect(received.type).toBe(ours.type);
    expect(received.source).toBe(ours.source);
    expect(received.subject).toBe(ours.subject);
    expect(received.time).toBe(ours.time);
    expect(received.datacontenttype).toBe('application/json');
    expect(received.data).toEqual(ours.data);
    expect(received['partitionkey']).toBe(message.key);
    // Strict validation by the SDK: every required attribute is well-formed.
    expect(received.validate()).toBe(true);
  });
});

describe('fromKafkaMessage', () => {
  it('reads our own message back', () => {
    const event = userUpdated('users/667542');
    expect(fromKafkaMessage(toKafkaMessage(event, 'k'))).toEqual({ key: 'k', event });
  });

  it('reads a message as kafkajs delivers it, with Buffer key, value and headers', () => {
    const event = userUpdated();
    const message = toKafkaMessage(event, 'k');
    const headers = Object.fromEntries(Object.entries(message.headers).map(([name, value]) => [name, Buffer.from(value)]));
    expect(fromKafkaMessage({ key: Buffer.from('k'), value: Buffer.from(message.value), headers })).toEqual({ key: 'k', event });
  });

  it.each([
    ['a binary-mode message', { value: '{}', headers: { 'content-type': 'application/json', ce_id: '1' } }],
    ['a missing value', { value: null, headers: { 'content-type': 'application/cloudevents+json' } }],
    ['a value that is not JSON', { value: 'nope', headers: { 'content-type': 'application/cloudevents+json' } }],
    ['a wrong specversion', { value: '{"specversion":"0.3","id":"1","source":"/s","type":"t"}', headers: { 'content-type': 'application/cloudevents+json' } }],
    ['a missing id', { value: '{"specversion":"1.0","source":"/s","type":"t"}', headers: { 'content-type': 'application/cloudevents+json' } }],
    ['a bad time', { value: '{"specversion":"1.0","id":"1","source":"/s","type":"t","time":"yesterday"}', headers: { 'content-type': 'application/cloudevents+json' } }],
  ])('rejects %s', (_what, message) => {
    expect(() => fromKafkaMessage(message)).toThrow(InvalidCloudEventMessageError);
  });
});

describe('deterministicEventId', () => {
  it('matches the RFC 4122 UUIDv5 test vector', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('gives one logical change one id and different changes different ids', () => {
    const id = deterministicEventId(['acc', 'knowbe4.user.updated', '1', 'h1']);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deterministicEventId(['acc', 'knowbe4.user.updated', '1', 'h1'])).toBe(id);
    expect(deterministicEventId(['acc', 'knowbe4.user.updated', '1', 'h2'])).not.toBe(id);
    expect(deterministicEventId(['a:b'])).not.toBe(deterministicEventId(['a', 'b']));
  });
});
