// Runs librdkafka's in-process mock cluster (Kafka protocol) and reports its broker list.
// Started as a child process by the local stack and the test harness; never used when KAFKA_BROKERS is set.
'use strict';
const Kafka = require('node-rdkafka');

const brokerCount = Number(process.env.EMBEDDED_KAFKA_BROKERS || 3);
const producer = new Kafka.Producer({
  'bootstrap.servers': 'localhost:1',
  'test.mock.num.brokers': brokerCount,
  'log_level': 0,
});
producer.connect({}, (err, metadata) => {
  if (err) {
    console.error(`embedded kafka failed to start: ${err.message}`);
    process.exit(2);
  }
  const brokers = metadata.brokers.map((b) => `${b.host}:${b.port}`).join(',');
  if (process.send) process.send({ brokers });
  console.log(`KAFKA_BROKERS=${brokers}`);
});
const keepAlive = setInterval(() => {}, 1 << 30);
const stop = () => {
  clearInterval(keepAlive);
  producer.disconnect(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
