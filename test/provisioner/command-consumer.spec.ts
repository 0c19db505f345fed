import { randomBytes } from 'node:crypto';
import { KafkaJSNonRetriableError, type Admin, type ConsumerConfig, type Kafka, type Producer } from 'kafkajs';
import pino from 'pino';
import { createKafka, createProducer } from '@kb4/platform';
import { CommandConsumer } from '../../apps/provisioner/src/consumer/command-consumer';
import type { CommandMessage } from '../../apps/provisioner/src/commands/command-processor';

// group joins on the embedded broker wait out session timeouts, and slow down a lot on a loaded machine
jest.setTimeout(240_000);

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
const silent = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, condition: () => boolean | Promise<boolean>, rounds = 2400): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    if (await condition()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A test-owned release: `wait()` resolves once `open()` was called. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open };
}

/**
 * The same client, except that the first batch its consumers see fails the way kafkajs does not retry (as a
 * SyncGroup the broker refuses does): kafkajs crashes, disconnects and never restarts that consumer itself.
 */
function failingFirstBatch(kafka: Kafka): Kafka {
  let failed = false;
  const client = Object.create(kafka) as Kafka;
  client.consumer = (config: ConsumerConfig) => {
    const consumer = kafka.consumer(config);
    const run = consumer.run.bind(consumer);
    consumer.run = (runConfig) =>
      run({
        ...runConfig,
        eachBatch: async (payload) => {
          if (!failed) {
            failed = true;
            throw new KafkaJSNonRetriableError('injected: a failure kafkajs gives up on');
          }
          await runConfig?.eachBatch?.(payload);
        },
      });
    return consumer;
  };
  return client;
}

const consumerOptions = (groupId: string, topic: string, concurrency: number) => ({
  groupId,
  topic,
  concurrency,
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  maxWaitTimeMs: 100,
  rewindDelayMs: 200,
});

describe('CommandConsumer on a Kafka-protocol broker', () => {
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  const consumers: CommandConsumer[] = [];
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    kafka = createKafka(brokers, `test-command-consumer-${suffix}`);
    producer = createProducer(kafka);
    admin = kafka.admin();
    await Promise.all([producer.connect(), admin.connect()]);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  });

  afterAll(async () => {
    await Promise.all([producer?.disconnect(), admin?.disconnect()]);
  });

  async function committed(groupId: string, topic: string, partition: number): Promise<string> {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return entry.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
  }

  it('applies each key in offset order while keys run concurrently across and within partitions', async () => {
    const topic = `test.prov.order.${suffix}`;
    const keys = Array.from({ length: 24 }, (_, i) => `acct:user:k${i}`);
    const perKey = 15;
    // Interleaved so one partition holds many keys and every fetch mixes them.
    const messages = Array.from({ length: perKey }, (_, seq) => keys.map((key) => ({ key, value: String(seq) }))).flat();
    await producer.send({ topic, messages });
    const seen = new Map<string, number[]>();
    let running = 0;
    let maxRunning = 0;
    const consumer = new CommandConsumer(
      kafka,
      async (message: CommandMessage) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await sleep(Math.floor(Math.random() * 6));
        const key = message.key!.toString();
        seen.set(key, [...(seen.get(key) ?? []), Number(message.value!.toString())]);
        running -= 1;
      },
      consumerOptions(`test-order-${suffix}`, topic, 8),
      silent,
    );
    consumers.push(consumer);
    await consumer.start();
    await until('every message applied', () => [...seen.values()].reduce((n, list) => n + list.length, 0) >= messages.length);
    for (const key of keys) expect(seen.get(key)).toEqual(Array.from({ length: perKey }, (_, seq) => seq));
    expect(maxRunning).toBe(8);
  });

  it('keeps fetching past a command in flight and commits its partition only up to it', async () => {
    const topic = `test.prov.inflight.${suffix}`;
    const groupId = `test-inflight-${suffix}`;
    const blocker = gate();
    const done = new Set<string>();
    let blockerStarted = false;
    const consumer = new CommandConsumer(
      kafka,
      async (message: CommandMessage) => {
        if (message.key!.toString() === 'slow') {
          blockerStarted = true;
          await blocker.wait();
        }
        done.add(`${message.partition}:${message.offset}`);
      },
      consumerOptions(groupId, topic, 4),
      silent,
    );
    consumers.push(consumer);
    await producer.send({ topic, messages: [{ key: 'slow', value: 'first', partition: 0 }] });
    await consumer.start();
    await until('the slow command to start', () => blockerStarted);
    // Published after the slow command was taken: only a consumer that keeps fetching can apply these now.
    await producer.send({ topic, messages: Array.from({ length: 40 }, (_, i) => ({ key: `fast-${i}`, value: String(i), partition: 0 })) });
    await until('the later commands of the same partition', () => done.size === 40);
    expect(done.has('0:0')).toBe(false);
    await sleep(500);
    // Everything after offset 0 finished, yet a crash now must redeliver offset 0: nothing is committed past it.
    expect(['-1', '0']).toContain(await committed(groupId, topic, 0));
    blocker.open();
    await until('the slow command to finish', () => done.has('0:0'));
    await until('the commit to cover the partition', async () => (await committed(groupId, topic, 0)) === '41');
  });

  it('pauses fetching while its buffer is full and resumes as commands finish, losing none', async () => {
    const topic = `test.prov.backpressure.${suffix}`;
    const count = 300;
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i % 50}`, value: String(i) })) });
    const applied = new Set<string>();
    let maxBuffered = 0;
    const consumer: CommandConsumer = new CommandConsumer(
      kafka,
      async (message: CommandMessage) => {
        maxBuffered = Math.max(maxBuffered, consumer.bufferedCount);
        await sleep(2);
        applied.add(message.value!.toString());
      },
      { ...consumerOptions(`test-backpressure-${suffix}`, topic, 4), maxBuffered: 20 },
      silent,
    );
    consumers.push(consumer);
    await consumer.start();
    await until('every message applied', () => applied.size === count);
    expect(maxBuffered).toBeLessThanOrEqual(20);
  });

  it('rewinds a partition after a failure that left a command unrecorded, and applies it again in order', async () => {
    const topic = `test.prov.rewind.${suffix}`;
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'one-key', value: String(i), partition: 1 })) });
    const applied: string[] = [];
    let failedOnce = false;
    const consumer = new CommandConsumer(
      kafka,
      async (message: CommandMessage) => {
        const value = message.value!.toString();
        if (value === '4' && !failedOnce) {
          failedOnce = true;
          throw new Error('database went away');
        }
        if (!applied.includes(value)) applied.push(value);
      },
      consumerOptions(`test-rewind-${suffix}`, topic, 4),
      silent,
    );
    consumers.push(consumer);
    await consumer.start();
    await until('all ten applied', () => applied.length === 10);
    expect(applied).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('hands revoked partitions to a new member: every command applied once, every partition committed to its end', async () => {
    const topic = `test.prov.rebalance.${suffix}`;
    const groupId = `test-rebalance-${suffix}`;
    const count = 200;
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `user-${i % 40}`, value: String(i) })) });
    const appliedBy = new Map<string, string[]>();
    // every application in the order it happened (a redelivery skipped by the stand-in below is not one)
    const applications: string[] = [];
    const release = gate();
    let startedByFirst = 0;
    // Stands in for processed_commands + the operation row lock: a redelivery of an applied command is skipped.
    const apply = (member: string) => async (message: CommandMessage): Promise<void> => {
      // The first member applies its first four commands and then holds every later one until released, so its
      // partitions are revoked while it has commands in flight (whichever partition it happened to read first).
      if (member === 'first' && ++startedByFirst > 4) await release.wait();
      const value = message.value!.toString();
      if (appliedBy.has(value)) return;
      appliedBy.set(value, [member]);
      applications.push(value);
    };
    try {
      const first = new CommandConsumer(kafka, apply('first'), consumerOptions(groupId, topic, 4), silent);
      consumers.push(first);
      await first.start();
      await until('the first member to hold commands in flight', () => appliedBy.size === 4 && startedByFirst > 4);
      const second = new CommandConsumer(kafka, apply('second'), consumerOptions(groupId, topic, 4), silent);
      consumers.push(second);
      await second.start();
      // The second member gets partitions only after the first rejoined, i.e. after they were revoked from it.
      await until('the second member to apply commands of revoked partitions', () => [...appliedBy.values()].some((members) => members.includes('second')));
      release.open();
      await until('every command applied', () => appliedBy.size === count);
      // Every command published was applied exactly once (none lost, none twice), and both members applied some.
      expect(applications.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect([...new Set([...appliedBy.values()].flat())].sort()).toEqual(['first', 'second']);
      // Each partition's committed offset ends at its end: nothing lost, nothing left uncommitted.
      const ends = await admin.fetchTopicOffsets(topic);
      for (const end of ends) {
        await until(`partition ${end.partition} committed to its end`, async () => (await committed(groupId, topic, end.partition)) === end.offset);
        expect(await committed(groupId, topic, end.partition)).toBe(end.offset);
      }
    } finally {
      // A failed wait must not leave the first member's commands held: stopping it waits for them.
      release.open();
    }
  });

  it('starts a consumer again after kafkajs gave up on it, and applies every command', async () => {
    const topic = `test.prov.crash.${suffix}`;
    const groupId = `test-crash-${suffix}`;
    const count = 60;
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `user-${i % 12}`, value: String(i) })) });
    const applied = new Set<string>();
    const consumer = new CommandConsumer(
      failingFirstBatch(kafka),
      async (message: CommandMessage) => {
        applied.add(message.value!.toString());
      },
      { ...consumerOptions(groupId, topic, 4), restartDelayMs: 200 },
      silent,
    );
    consumers.push(consumer);
    await consumer.start();
    await until('every message applied', () => applied.size === count);
    expect(consumer.isJoined).toBe(true);
    const ends = await admin.fetchTopicOffsets(topic);
    for (const end of ends) {
      await until(`partition ${end.partition} committed to its end`, async () => (await committed(groupId, topic, end.partition)) === end.offset);
    }
  });
});
