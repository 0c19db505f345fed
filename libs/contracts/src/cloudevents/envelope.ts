/**
 * CloudEvents 1.0 in the Kafka protocol binding's structured content mode: the whole event as JSON in the
 * value, `content-type: application/cloudevents+json`, plus `ce_*` copies of a few attributes in headers so
 * consumers can filter without parsing.
 */

export const CLOUDEVENTS_SPEC_VERSION = '1.0';
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';
export const DATA_CONTENT_TYPE = 'application/json';

export interface CloudEventEnvelope<T = unknown> {
  specversion: typeof CLOUDEVENTS_SPEC_VERSION;
  id: string;
  /** `/integrated-accounts/{id}` */
  source: string;
  type: string;
  subject?: string;
  /** RFC 3339 UTC timestamp. */
  time: string;
  datacontenttype: typeof DATA_CONTENT_TYPE;
  data: T;
}

export interface BuildCloudEventInput<T> {
  id: string;
  type: string;
  source: string;
  subject?: string;
  /** Defaults to now; pass it explicitly to keep a producer deterministic. */
  time?: string | Date;
  data: T;
}

/** A Kafka message as kafkajs' producer accepts it. */
export interface OutgoingKafkaMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** A Kafka message as kafkajs' consumer hands it over (or as we produced it). */
export interface IncomingKafkaMessage {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, Buffer | string | Array<Buffer | string> | undefined>;
}

export interface ReceivedCloudEvent {
  key: string | null;
  event: CloudEventEnvelope<unknown>;
}

export class InvalidCloudEventMessageError extends Error {
  constructor(reason: string) {
    super(`Not a valid structured-mode CloudEvent: ${reason}`);
    this.name = 'InvalidCloudEventMessageError';
  }
}

export function integratedAccountSource(integratedAccountId: string): string {
  return `/integrated-accounts/${integratedAccountId}`;
}

export function buildCloudEvent<T>(input: BuildCloudEventInput<T>): CloudEventEnvelope<T> {
  if (!input.id) throw new InvalidCloudEventMessageError('id is empty');
  if (!input.type) throw new InvalidCloudEventMessageError('type is empty');
  if (!input.source) throw new InvalidCloudEventMessageError('source is empty');
  const time = input.time === undefined ? new Date() : input.time;
  const event: CloudEventEnvelope<T> = {
    specversion: CLOUDEVENTS_SPEC_VERSION,
    id: input.id,
    source: input.source,
    type: input.type,
    time: typeof time === 'string' ? new Date(time).toISOString() : time.toISOString(),
    datacontenttype: DATA_CONTENT_TYPE,
    data: input.data,
  };
  if (input.subject !== undefined) event.subject = input.subject;
  return event;
}

export function toKafkaMessage(event: CloudEventEnvelope<unknown>, key: string): OutgoingKafkaMessage {
  const headers: Record<string, string> = {
    'content-type': STRUCTURED_CONTENT_TYPE,
    ce_specversion: event.specversion,
    ce_id: event.id,
    ce_type: event.type,
    ce_source: event.source,
    ce_time: event.time,
  };
  if (event.subject !== undefined) headers.ce_subject = event.subject;
  return { key, value: JSON.stringify(event), headers };
}

function headerText(value: Buffer | string | Array<Buffer | string> | undefined): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}

function findHeader(message: IncomingKafkaMessage, name: string): string | undefined {
  for (const [header, value] of Object.entries(message.headers ?? {})) {
    if (header.toLowerCase() === name) return headerText(value);
  }
  return undefined;
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/** Reads a message produced by `toKafkaMessage` (or any structured-mode JSON CloudEvent 1.0). */
export function fromKafkaMessage(message: IncomingKafkaMessage): ReceivedCloudEvent {
  const contentType = findHeader(message, 'content-type');
  if (!contentType?.toLowerCase().startsWith('application/cloudevents+json')) {
    throw new InvalidCloudEventMessageError(`content-type is ${contentType ?? 'missing'}`);
  }
  if (message.value === null) throw new InvalidCloudEventMessageError('value is empty');
  const text = typeof message.value === 'string' ? message.value : message.value.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidCloudEventMessageError('value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidCloudEventMessageError('value is not a JSON object');
  }
  const event = parsed as Record<string, unknown>;
  if (event.specversion !== CLOUDEVENTS_SPEC_VERSION) {
    throw new InvalidCloudEventMessageError(`specversion is ${JSON.stringify(event.specversion)}`);
  }
  for (const attribute of ['id', 'source', 'type'] as const) {
    if (!nonEmptyString(event[attribute])) throw new InvalidCloudEventMessageError(`${attribute} is missing`);
  }
  if (event.time !== undefined && !(nonEmptyString(event.time) && !Number.isNaN(Date.parse(event.time)))) {
    throw new InvalidCloudEventMessageError('time is not a timestamp');
  }
  const key = message.key === undefined || message.key === null ? null : message.key.toString();
  return { key, event: event as unknown as CloudEventEnvelope<unknown> };
}
