import { Client } from 'pg';
import { OPERATION_FINISHED_CHANNEL } from '../repositories/operation.repository';

export interface OperationFinishedListener {
  /** Settles once the session listens; rejects when it could not connect or LISTEN. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * A dedicated LISTEN session on the channel the operations trigger notifies when an operation finishes. `onLost` is
 * called once the session breaks (the listener is then closed; open a new one).
 */
export function listenForFinishedOperations(options: {
  databaseUrl: string;
  applicationName: string;
  onFinished(operationId: string): void;
  onLost(): void;
}): OperationFinishedListener {
  const client = new Client({ connectionString: options.databaseUrl, application_name: options.applicationName });
  const close = (): Promise<void> => client.end().catch(() => undefined);
  client.on('error', () => {
    options.onLost();
    void close();
  });
  client.on('notification', (message) => options.onFinished(message.payload ?? ''));
  const ready = client
    .connect()
    .then(() => client.query(`LISTEN ${OPERATION_FINISHED_CHANNEL}`))
    .then(() => undefined);
  return { ready, close };
}
