import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { DataConverter } from '@temporalio/common';
import { ConfigError, dataConverterFor, readEncryptionKeys } from './config';

/** The deployment's data converter from the environment; a malformed key stops here rather than going unencrypted. */
function dataConverterFromEnv(): DataConverter {
  const problems: string[] = [];
  const keys = readEncryptionKeys(process.env, problems);
  if (problems.length) throw new ConfigError(problems);
  return dataConverterFor(keys);
}

/**
 * A Temporal client configured the standard way (@temporalio/envconfig): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TLS settings and TOML profiles. With nothing set: localhost:7233, namespace "default",
 * which is where `npm start` runs its embedded dev server. Payload encryption follows HANDOFF_ENCRYPTION_KEYS.
 */
export async function connectClient(
  dataConverter: DataConverter = dataConverterFromEnv(),
): Promise<{ client: Client; namespace: string; close: () => Promise<void> }> {
  const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
  const connection = await Connection.connect(connectionOptions);
  return {
    client: new Client({ connection, namespace, dataConverter }),
    namespace,
    close: () => connection.close(),
  };
}
