// `npm run worker`: a handoff worker against the Temporal cluster from envconfig and the live Wix API.
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { ConfigError, dataConverterFor, loadDotEnv, loadWorkerSettings, readLedgerSettings } from './config';
import { openLedger } from './ledger';
import { connectClient } from './temporal-connection';
import { HandoffWorkers } from './handoff-worker';
import { Notifier, readNotifyConfig } from './notify';
import { WixClient } from './wix/client/wix-client';

async function main(): Promise<void> {
  loadDotEnv();
  // Worker lifecycle chatter stays out of the way unless asked for.
  Runtime.install({
    logger: new DefaultLogger((process.env.LOG_LEVEL?.toUpperCase() as LogLevel | undefined) ?? 'WARN'),
  });
  const settings = loadWorkerSettings();
  const problems: string[] = [];
  const ledgerSettings = readLedgerSettings(process.env, problems);
  // The console links in notifications point at the API; HANDOFF_NOTIFY_CONSOLE_URL names it for workers elsewhere.
  const notifyConfig = readNotifyConfig(process.env, problems, {
    consoleUrl: `http://127.0.0.1:${process.env.HANDOFF_API_PORT?.trim() || '8080'}`,
  });
  if (problems.length) throw new ConfigError(problems);
  const ledger = await openLedger(ledgerSettings);
  if (!ledgerSettings.databaseUrl) {
    console.warn(
      `WARNING: HANDOFF_DATABASE_URL is not set: handoff records go to the embedded ledger in ${ledgerSettings.dataDir}, ` +
        'which only this process can use; set it to PostgreSQL when several workers run',
    );
  }
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const wix = new WixClient({
    baseUrl: settings.wix.baseUrl,
    apiKey: settings.wix.apiKey,
    accountId: settings.wix.accountId,
    timeoutMs: settings.wix.timeoutMs,
  });
  // Every worker on the queue can run the ledger reconcile job the schedule starts.
  const temporal = await connectClient(dataConverterFor(settings.encryptionKeys));
  const notifier = notifyConfig
    ? new Notifier({
        client: temporal.client,
        taskQueue: settings.taskQueue,
        config: notifyConfig,
        db: ledger.db,
      })
    : undefined;
  const workers = await HandoffWorkers.create({
    connection,
    ...(notifier ? { notifier } : {}),
    reconcileClient: temporal.client,
    namespace,
    taskQueue: settings.taskQueue,
    wix,
    ledger,
    wixCallsPerMinute: settings.wix.callsPerMinute,
    dataConverter: dataConverterFor(settings.encryptionKeys),
    tuning:
      settings.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: settings.maxCachedWorkflows } : {},
  });
  if (!settings.encryptionKeys) {
    console.warn(
      'WARNING: HANDOFF_ENCRYPTION_KEYS is not set: customer emails are stored in Temporal history in clear',
    );
  }
  console.log(
    `site-handoff worker: task queue "${settings.taskQueue}", namespace "${namespace ?? 'default'}", Wix at ${settings.wix.baseUrl}`,
  );
  try {
    await workers.run();
  } finally {
    await temporal.close();
    await connection.close();
    await ledger.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : `site-handoff worker failed: ${String(err)}`);
  process.exit(1);
});
