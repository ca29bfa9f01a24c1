import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFor, readEncryptionKeys } from './config';

/**
 * A Temporal client configured the standard way (@temporalio/envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TLS settings and TOML profiles. With nothing set: localhost:7233, namespace "default",
 * which is where `npm start` runs its embedded dev server. Payload encryption follows HANDOFF_ENCRYPTION_KEYS.
 */
export async function connectClient(
  dataConverter: DataConverter = dataConverterFor(readEncryptionKeys(process.env, [])),
): Promise<{ client: Client; namespace: string; close: () => Promise<void> }> {
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const connection = await Connection.connect(connectionOptions);
  return {
    client: new Client({ connection, namespace, dataConverter }),
    namespace,
    close: () => connection.close(),
  };
}
