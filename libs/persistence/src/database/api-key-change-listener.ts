import { Client } from 'pg';
import { API_KEY_CHANGED_CHANNEL, API_KEY_DROPPED_CHANNEL } from '../repositories/workspace.repository';

export interface ApiKeyChangeListener {
  /** Settles with the session's backend pid once it listens; rejects when it could not connect or LISTEN. */
  readonly ready: Promise<number>;
  /** Tells every listener that this session dropped the key (payload `<backend pid>:<key hash>`). */
  acknowledge(keyHash: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A dedicated LISTEN session on the channel the api_keys trigger notifies (payload = key hash) when a key is revoked,
 * re-scoped or deleted, and on the channel where each listener acknowledges that it dropped the key (so a revoke can
 * wait for every replica). `onLost` is called once when the session breaks (it is then closed; open a new one).
 */
export function listenForApiKeyChanges(options: {
  databaseUrl: string;
  applicationName: string;
  onChanged(keyHash: string): void;
  onDropped(listenerPid: number, keyHash: string): void;
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
  client.on('notification', (message) => {
    const payload = message.payload ?? '';
    if (message.channel === API_KEY_CHANGED_CHANNEL) return options.onChanged(payload);
    const [pid, keyHash = ''] = payload.split(':');
    options.onDropped(Number(pid), keyHash);
  });
  const ready = client
    .connect()
    .then(() => client.query(`LISTEN ${API_KEY_CHANGED_CHANNEL}; LISTEN ${API_KEY_DROPPED_CHANNEL}`))
    .then(() => client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
    .then((result) => result.rows[0].pid);
  return {
    ready,
    acknowledge: async (keyHash) => {
      await client.query(`SELECT pg_notify('${API_KEY_DROPPED_CHANNEL}', pg_backend_pid() || ':' || $1::text)`, [keyHash]);
    },
    close: () => {
      lost = true; // a deliberate close is not a loss
      return close();
    },
  };
}
