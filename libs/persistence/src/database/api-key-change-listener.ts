import { Client } from 'pg';
import { API_KEY_CHANGED_CHANNEL } from '../repositories/workspace.repository';

export interface ApiKeyChangeListener {
  /** Settles once the session listens; rejects when it could not connect or LISTEN. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * A dedicated LISTEN session on the channel the api_keys trigger notifies (payload = key hash) when a key is revoked,
 * re-scoped or deleted. `onLost` is called once when the session breaks (it is then closed; open a new one).
 */
export function listenForApiKeyChanges(options: {
  databaseUrl: string;
  applicationName: string;
  onChanged(keyHash: string): void;
  onLost(): void;
}): ApiKeyChangeListener {
  const client = new Client({ connectionString: options.databaseUrl, application_name: options.applicationName });
  let lost = false;
  const close = (): Promise<void> => client.end().catch(() => undefined);
  const loseOnce = (): void => {
    if (lost) return;
    lost = true;
    options.onLost();
    void close();
  };
  client.on('error', loseOnce);
  client.on('end', loseOnce);
  client.on('notification', (message) => options.onChanged(message.payload ?? ''));
  const ready = client
    .connect()
    .then(() => client.query(`LISTEN ${API_KEY_CHANGED_CHANNEL}`))
    .then(() => undefined);
  return {
    ready,
    close: () => {
      lost = true; // a deliberate close is not a loss
      return close();
    },
  };
}
