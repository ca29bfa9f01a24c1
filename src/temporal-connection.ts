import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';

/**
 * A Temporal client configured the standard way (@temporalio/envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TLS settings and TOML profiles. With nothing set: localhost:7233, namespace "default",
 * which is where `npm start` runs its embedded dev server.
 */
export async function connectClient(): Promise<{
  client: Client;
  namespace: string;
  close: () => Promise<void>;
}> {
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const connection = await Connection.connect(connectionOptions);
  return { client: new Client({ connection, namespace }), namespace, close: () => connection.close() };
}
