import { randomBytes } from 'node:crypto';
import { fromKafkaMessage, TOPICS } from '@kb4/contracts';
import { CliCommand, CliUsageError } from './context';

const KNOWN_TOPICS: string[] = Object.values(TOPICS);

export const eventCommands: CliCommand[] = [
  {
    words: ['events', 'tail'],
    usage: `events tail [--topic ${TOPICS.directoryEvents}] [--from-beginning] [--account <integrated account id>] [--max <n>]`,
    async run({ args, kafkaBrokers }) {
      args.only('topic', 'from-beginning', 'account', 'max');
      const topic = args.optional('topic') ?? TOPICS.directoryEvents;
      if (!KNOWN_TOPICS.includes(topic)) throw new CliUsageError(`--topic must be one of ${KNOWN_TOPICS.join(', ')}`);
      const max = args.optional('max') === undefined ? Infinity : Number(args.optional('max'));
      if (!(max > 0)) throw new CliUsageError('--max must be a positive number');
      const account = args.optional('account');
      const { createKafka } = await import('@kb4/platform'); // only here: the other commands start without Kafka's code
      // a throwaway group: tailing never moves the offsets of a real consumer
      const consumer = createKafka(kafkaBrokers(), 'kb4-cli').consumer({
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
