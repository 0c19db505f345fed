import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromKafkaMessage, TOPICS } from '@kb4/contracts';
import { createKafka, kafkaBrokerList } from '@kb4/platform';
import { CliCommand, CliUsageError } from './context';

const KNOWN_TOPICS: string[] = Object.values(TOPICS);

// With no KAFKA_BROKERS, follow the broker of the local stack that `npm start` recorded.
function brokersOf(configured: string): string[] {
  const demo = join(resolve(process.env.KB4_LOCAL_DIR ?? join(__dirname, '../../../../.local')), 'demo.json');
  if (!process.env.KAFKA_BROKERS && existsSync(demo)) {
    return (JSON.parse(readFileSync(demo, 'utf8')) as { kafka_brokers: string }).kafka_brokers.split(',');
  }
  return kafkaBrokerList({ KAFKA_BROKERS: configured });
}

export const eventCommands: CliCommand[] = [
  {
    words: ['events', 'tail'],
    usage: `events tail [--topic ${TOPICS.directoryEvents}] [--from-beginning] [--account <integrated account id>] [--max <n>]`,
    async run({ args, config }) {
      args.only('topic', 'from-beginning', 'account', 'max');
      const topic = args.optional('topic') ?? TOPICS.directoryEvents;
      if (!KNOWN_TOPICS.includes(topic)) throw new CliUsageError(`--topic must be one of ${KNOWN_TOPICS.join(', ')}`);
      const max = args.optional('max') === undefined ? Infinity : Number(args.optional('max'));
      if (!(max > 0)) throw new CliUsageError('--max must be a positive number');
      const account = args.optional('account');
      // a throwaway group: tailing never moves the offsets of a real consumer
      const consumer = createKafka(brokersOf(config.KAFKA_BROKERS), 'kb4-cli').consumer({
        groupId: `kb4-cli-tail-${randomBytes(6).toString('hex')}`,
        maxWaitTimeInMs: 250,
      });
      let seen = 0;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((done) => (finish = done));
      process.once('SIGINT', finish);
      process.once('SIGTERM', finish);
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: args.optional('from-beginning') === 'true' });
      await consumer.run({
        eachMessage: async ({ message, partition }) => {
          if (seen >= max) return;
          const { event } = fromKafkaMessage(message);
          if (account && event.source !== `/integrated-accounts/${account}`) return;
          seen += 1;
          const line = { partition, offset: message.offset, key: message.key?.toString(), id: event.id, type: event.type, subject: event.subject, time: event.time, data: event.data };
          process.stdout.write(`${JSON.stringify(line)}\n`);
          if (seen >= max) finish();
        },
      });
      await finished;
      await consumer.disconnect();
    },
  },
];
