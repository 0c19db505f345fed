import 'reflect-metadata';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { targetConstructorToSchema, validationMetadatasToSchemas } from 'class-validator-jsonschema';
import {
  COMMAND_TYPES,
  DEAD_LETTER_TYPES,
  DIRECTORY_EVENT_TYPES,
  EVENT_DATA_CLASSES,
  OPERATION_RESULT_TYPES,
  ROSTER_RUN_EVENT_TYPES,
  STRUCTURED_CONTENT_TYPE,
  SYNC_RECORD_EVENT_TYPES,
  SYNC_RUN_EVENT_TYPES,
  TOPICS,
  type EventType,
  type TopicName,
} from '@kb4/contracts';

type Json = Record<string, unknown>;

interface TopicDescription {
  id: string;
  description: string;
  key: { pattern: string; description: string };
  types: readonly EventType[];
}

const COMMAND_KEY = {
  pattern: '^[^:]+:(user|group):.+$',
  description: '`{integrated_account_id}:user:{lowercased userName}` or `{integrated_account_id}:group:{id}` (a group not created yet: its name)',
};

/** design.md's topic table: what travels on each topic and how it is keyed (ordering is per key). */
export const TOPIC_DESCRIPTIONS: Record<TopicName, TopicDescription> = {
  [TOPICS.directoryEvents]: {
    id: 'directoryEvents',
    description: 'Directory changes the poller found in KnowBe4 (via the outbox, in order per record).',
    key: { pattern: '^[^:]+:(user|group|enrollment):.+$', description: '`{integrated_account_id}:{entity}:{remote_id}`' },
    types: Object.values(DIRECTORY_EVENT_TYPES),
  },
  [TOPICS.provisioningCommands]: {
    id: 'provisioningCommands',
    description: 'Writes the gateway asks the provisioner to carry out through KnowBe4 SCIM.',
    key: COMMAND_KEY,
    types: Object.values(COMMAND_TYPES),
  },
  [TOPICS.provisioningResults]: {
    id: 'provisioningResults',
    description: 'The outcome of each provisioning command (keyed like the command).',
    key: COMMAND_KEY,
    types: Object.values(OPERATION_RESULT_TYPES),
  },
  [TOPICS.provisioningDlq]: {
    id: 'provisioningDlq',
    description: 'Commands the provisioner gave up on: the original command plus the error and attempt count.',
    key: COMMAND_KEY,
    types: Object.values(DEAD_LETTER_TYPES),
  },
  [TOPICS.syncRuns]: {
    id: 'syncRuns',
    description: 'Sync run lifecycle with counts, and records a run skipped (ids and a reason, never values).',
    key: { pattern: '^[^:]+$', description: '`{integrated_account_id}`' },
    types: [...Object.values(SYNC_RUN_EVENT_TYPES), ...Object.values(SYNC_RECORD_EVENT_TYPES)],
  },
  [TOPICS.rosterRuns]: {
    id: 'rosterRuns',
    description: 'Roster run lifecycle (PUT /unified/user-directory/roster): started, then completed or failed once every item finished, with counts planned / done / failed.',
    key: { pattern: '^[^:]+$', description: '`{integrated_account_id}`' },
    types: Object.values(ROSTER_RUN_EVENT_TYPES),
  },
};

const SCHEMA_REF = '#/components/schemas/';

/**
 * The schema accepts what class-validator accepts: @IsOptional allows null as well as absence (`null` clears a
 * field), and an @Allow-only property (`{}`, e.g. a change's `from`) may be absent.
 */
function acceptWhatTheValidatorAccepts(schema: Json): Json {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const anyValue = (name: string): boolean => properties[name] !== undefined && Object.keys(properties[name]).length === 0;
  const required = ((schema.required as string[] | undefined) ?? []).filter((name) => !anyValue(name));
  if (required.length > 0) schema.required = required;
  else delete schema.required;
  for (const [name, property] of Object.entries(properties)) {
    if (required.includes(name)) continue;
    if (typeof property.type === 'string') property.type = [property.type, 'null'];
    else if (typeof property.$ref === 'string') properties[name] = { anyOf: [property, { type: 'null' }] };
  }
  return schema;
}

/** JSON Schemas of every class-validator DTO in @kb4/contracts, nested DTOs as `$ref`s. */
export function dataSchemas(): Record<string, Json> {
  const options = { refPointerPrefix: SCHEMA_REF, classTransformerMetadataStorage: defaultMetadataStorage };
  const schemas = validationMetadatasToSchemas(options) as Record<string, Json>;
  // a class with no decorators of its own (SyncRunStartedData) is only its parent's fields
  for (const dto of Object.values(EVENT_DATA_CLASSES)) schemas[dto.name] ??= targetConstructorToSchema(dto, options) as Json;
  const used = new Set(Object.values(EVENT_DATA_CLASSES).map((dto) => dto.name));
  const reachable = new Set<string>();
  const visit = (name: string): void => {
    if (reachable.has(name) || !schemas[name]) return;
    reachable.add(name);
    for (const match of JSON.stringify(schemas[name]).matchAll(/#\/components\/schemas\/(\w+)/g)) visit(match[1]);
  };
  used.forEach(visit);
  return Object.fromEntries([...reachable].sort().map((name) => [name, acceptWhatTheValidatorAccepts(schemas[name])]));
}

function envelopeSchema(type: EventType, dataClass: string): Json {
  return {
    type: 'object',
    required: ['specversion', 'id', 'source', 'type', 'time', 'datacontenttype', 'data'],
    properties: {
      specversion: { type: 'string', const: '1.0' },
      id: { type: 'string', minLength: 1, description: 'Stable for one logical change: de-duplicate redeliveries by it.' },
      source: { type: 'string', pattern: '^/integrated-accounts/.+$', description: '`/integrated-accounts/{id}`' },
      type: { type: 'string', const: type },
      subject: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      datacontenttype: { type: 'string', const: 'application/json' },
      data: { $ref: `${SCHEMA_REF}${dataClass}` },
    },
  };
}

function headersSchema(type: EventType): Json {
  return {
    type: 'object',
    required: ['content-type', 'ce_type', 'ce_id'],
    properties: {
      'content-type': { type: 'string', const: STRUCTURED_CONTENT_TYPE },
      ce_type: { type: 'string', const: type },
      ce_id: { type: 'string', description: 'Copy of the event id.' },
      ce_specversion: { type: 'string', const: '1.0' },
      ce_source: { type: 'string' },
      ce_time: { type: 'string', format: 'date-time' },
      ce_subject: { type: 'string' },
    },
  };
}

function messageOf(type: EventType, key: TopicDescription['key']): Json {
  const dataClass = EVENT_DATA_CLASSES[type].name;
  return {
    name: type,
    title: type,
    summary: `CloudEvent \`${type}\`; \`data\` is ${dataClass}.`,
    contentType: STRUCTURED_CONTENT_TYPE,
    headers: headersSchema(type),
    payload: envelopeSchema(type, dataClass),
    bindings: { kafka: { key: { type: 'string', ...key }, bindingVersion: '0.5.0' } },
  };
}

function messageRef(type: EventType): Json {
  return { $ref: `#/components/messages/${type}` };
}

/** The AsyncAPI 3.0 document of every topic in TOPICS, built from @kb4/contracts only. */
export function buildAsyncApiDocument(): Json {
  const channels: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const [topic, described] of Object.entries(TOPIC_DESCRIPTIONS)) {
    channels[described.id] = {
      address: topic,
      title: topic,
      description: `${described.description} Key: ${described.key.description}.`,
      messages: Object.fromEntries(described.types.map((type) => [type, messageRef(type)])),
    };
    operations[`publish.${described.id}`] = {
      action: 'send',
      summary: `Messages this system publishes to ${topic}.`,
      channel: { $ref: `#/channels/${described.id}` },
      messages: described.types.map((type) => ({ $ref: `#/channels/${described.id}/messages/${type}` })),
    };
    for (const type of described.types) messages[type] = messageOf(type, described.key);
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'kb4-directory Kafka topics',
      version: '0.1.0',
      description:
        'KnowBe4 as a unified user directory: directory events, provisioning commands and results, the DLQ and sync runs. ' +
        'Every value is a CloudEvent 1.0 in the Kafka binding\'s structured mode; `ce_type`/`ce_id` headers let consumers ' +
        'filter without parsing. Delivery is at least once and ordered per key. Generated by `npm run asyncapi` from libs/contracts.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      contact: { name: 'kb4-directory maintainers' },
      tags: [{ name: 'kafka' }, { name: 'cloudevents' }],
    },
    defaultContentType: STRUCTURED_CONTENT_TYPE,
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'The broker `npm start` runs (`KAFKA_BROKERS` elsewhere).' },
    },
    channels,
    operations,
    components: { messages, schemas: dataSchemas() },
  };
}
