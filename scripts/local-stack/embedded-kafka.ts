import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

export interface EmbeddedKafka {
  brokers: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts librdkafka's mock cluster in a child process; rejects (never hangs) if it dies before it is ready. */
export function startEmbeddedKafka(timeoutMs = 30_000): Promise<EmbeddedKafka> {
  const child = fork(join(__dirname, 'embedded-kafka-broker.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('embedded Kafka broker did not report its brokers in time'));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`embedded Kafka broker exited early (code ${code}, signal ${signal})`));
    });
    child.once('message', (message: { brokers: string }) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        brokers: message.brokers,
        process: child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}
