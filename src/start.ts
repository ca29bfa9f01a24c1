// `npm start`: the whole service on embedded defaults — Temporal dev server (unless TEMPORAL_ADDRESS is set),
// the Wix simulator in sandbox mode (unless WIX_API_KEY is set), the workers and the HTTP API.
import { createPublicKey, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { buildApi } from './api/server';
import type { SandboxMailbox } from './console';
import {
  ConfigError,
  dataConverterFor,
  loadDotEnv,
  localKeyFile,
  readEncryptionKeys,
  readLedgerSettings,
  readSimulatorWebhooksMode,
  readTaskQueue,
  readWixSettings,
  readWixWebhookPublicKey,
  type WixSettings,
} from './config';
import { RETENTION_DAYS, startDevServer, type DevServer } from './dev-server';
import { HandoffWorkers } from './handoff-worker';
import { openLedger } from './ledger';
import { Notifier, readNotifyConfig } from './notify';
import { createMetrics, instrumentWix } from './metrics';
import { ensureReconcileSchedule } from './ledger-reconcile-schedule';
import { connectClient } from './temporal-connection';
import { WixClient } from './wix/client/wix-client';
import { WixSimulator } from './wix/simulator/wix-simulator';

function port(name: string, fallback: number, problems: string[]): number {
  const raw = process.env[name]?.trim();
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 0 || value > 65535)
    problems.push(`${name} must be a port number, got "${raw}"`);
  return value;
}

const list = (raw: string | undefined): string[] =>
  (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** How a browser on this machine reaches the API: a wildcard bind address is reached through loopback. */
function browserUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** A key for the embedded server's payloads, made once and kept beside its data so restarts can decrypt. */
function ensureLocalKey(file: string): void {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `local-1:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
}

/** The simulator's outbox for the console's sandbox mailbox, each email with its invite's current status. */
function sandboxMailbox(simulator: WixSimulator): SandboxMailbox {
  return {
    emails: () => {
      const status = new Map(simulator.invites().map((i) => [i.id, i.status]));
      return simulator.outbox().map((m) => ({
        ...m,
        ...(status.has(m.inviteId) ? { inviteStatus: String(status.get(m.inviteId)) } : {}),
      }));
    },
    accept: (inviteId) => void simulator.acceptInvite(inviteId),
  };
}

async function main(): Promise<void> {
  loadDotEnv();
  // Worker lifecycle chatter stays out of the way unless asked for.
  Runtime.install({
    logger: new DefaultLogger((process.env.LOG_LEVEL?.toUpperCase() as LogLevel | undefined) ?? 'WARN'),
  });
  const env = process.env;
  const problems: string[] = [];
  const apiPort = port('HANDOFF_API_PORT', 8080, problems);
  const apiHost = env.HANDOFF_API_HOST?.trim() || '127.0.0.1';
  const devPort = port('TEMPORAL_DEV_PORT', 7233, problems);
  const uiPort = port('TEMPORAL_UI_PORT', 8233, problems);
  const simulatorPort = port('WIX_SIMULATOR_PORT', 8787, problems);
  const sandbox = !env.WIX_API_KEY?.trim();
  const live: WixSettings | undefined = sandbox ? undefined : readWixSettings(env, problems);
  // Wix's Contributor Created hints: verified with Wix's key, or in sandbox sent by the simulator with its own.
  const wixWebhookKey = readWixWebhookPublicKey(env, problems);
  const simulatorWebhooks = sandbox ? readSimulatorWebhooksMode(env, problems) : 'off';
  if (!env.TEMPORAL_ADDRESS?.trim() && !env.HANDOFF_ENCRYPTION_KEYS?.trim())
    ensureLocalKey(localKeyFile(env));
  const encryptionKeys = readEncryptionKeys(env, problems);
  const dataConverter = dataConverterFor(encryptionKeys);
  const codec = dataConverter.payloadCodecs?.[0];
  const codecCorsOrigins = list(env.HANDOFF_CODEC_CORS_ORIGINS);
  for (const origin of codecCorsOrigins) {
    if (!/^https?:\/\/[^/]+$/.test(origin))
      problems.push(
        `HANDOFF_CODEC_CORS_ORIGINS: "${origin}" is not an origin such as https://cloud.temporal.io`,
      );
  }
  const webhookSecrets = list(env.HANDOFF_WEBHOOK_SECRET);
  const apiTokens = list(env.HANDOFF_API_TOKEN);
  const ledgerSettings = readLedgerSettings(env, problems);
  // Signs console sessions; random per start unless set, so several API processes share one with it.
  const sessionSecret = env.HANDOFF_SESSION_SECRET?.trim() || randomBytes(32).toString('base64url');
  if (sessionSecret.length < 32) problems.push('HANDOFF_SESSION_SECRET must be at least 32 characters');
  const temporalUiFromEnv = env.HANDOFF_TEMPORAL_UI_URL?.trim();
  const notifyConfig = readNotifyConfig(env, problems, { consoleUrl: browserUrl(apiHost, apiPort) });
  if (problems.length) throw new ConfigError(problems);

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(String(err)));
  };

  try {
    let devServer: DevServer | undefined;
    if (!env.TEMPORAL_ADDRESS?.trim()) {
      devServer = await startDevServer({
        dataDir: path.resolve(env.HANDOFF_DATA_DIR?.trim() || '.data'),
        port: devPort,
        uiPort,
        namespace: env.TEMPORAL_NAMESPACE?.trim() || 'default',
        // The browser's UI calls the API itself; the port must be known before the API listens.
        ...(codec && apiPort ? { uiCodecEndpoint: `${browserUrl(apiHost, apiPort)}/codec` } : {}),
      });
      stops.push(() => devServer!.stop());
      env.TEMPORAL_ADDRESS = devServer.address;
    }

    const temporalUiUrl = temporalUiFromEnv || devServer?.uiUrl;

    let wix: WixClient;
    let simulator: WixSimulator | undefined;
    if (live) {
      wix = new WixClient({
        baseUrl: live.baseUrl,
        apiKey: live.apiKey,
        accountId: live.accountId,
        timeoutMs: live.timeoutMs,
      });
    } else {
      simulator = await WixSimulator.start({
        port: simulatorPort,
        autoProvision: true,
        ...(simulatorWebhooks === 'drop' ? { webhooks: { drop: 'all' as const } } : {}),
      });
      stops.push(() => simulator!.close());
      const accountId = simulator.addAccount();
      const apiKey = simulator.addApiKey({ accountId });
      wix = new WixClient({ baseUrl: simulator.url, apiKey, accountId });
    }

    // The handoff records: PostgreSQL when HANDOFF_DATABASE_URL is set, else the embedded PGlite in the data dir.
    const ledger = await openLedger(ledgerSettings);
    stops.push(() => ledger.close());

    const metrics = createMetrics();
    const taskQueue = readTaskQueue(env);
    const { connectionOptions, namespace = 'default' } = loadClientConnectConfig();
    const nativeConnection = await NativeConnection.connect(connectionOptions);
    stops.push(() => nativeConnection.close());
    const temporal = await connectClient(dataConverter);
    stops.push(() => temporal.close());
    const notifier = notifyConfig
      ? new Notifier({ client: temporal.client, taskQueue, config: notifyConfig, db: ledger.db })
      : undefined;
    const workers = await HandoffWorkers.create({
      connection: nativeConnection,
      namespace,
      taskQueue,
      wix: instrumentWix(wix, metrics),
      ledger,
      reconcileClient: temporal.client,
      wixCallsPerMinute: live?.callsPerMinute ?? 200,
      dataConverter,
      ...(notifier ? { notifier } : {}),
    });
    const running = workers.run();
    // Fills the ledger from Temporal hourly: handoffs begun before it existed, writes that went missing.
    await ensureReconcileSchedule(temporal.client, { taskQueue });
    stops.push(async () => {
      workers.shutdown();
      await running;
    });

    const api = buildApi({
      client: temporal.client,
      ledger: ledger,
      namespace,
      taskQueue,
      webhookSecrets,
      apiTokens,
      metrics,
      ...(notifier ? { notifier } : {}),
      ...(simulator && simulatorWebhooks !== 'off'
        ? { wixWebhookPublicKey: createPublicKey(simulator.webhookPublicKey) }
        : wixWebhookKey
          ? { wixWebhookPublicKey: wixWebhookKey }
          : {}),
      ...(codec ? { codec, codecCorsOrigins } : {}),
      ...(codec && devServer
        ? { codecLocalOrigins: [`http://127.0.0.1:${uiPort}`, `http://localhost:${uiPort}`] }
        : {}),
      console: {
        sessionSecret,
        ...(temporalUiUrl ? { temporalUiUrl } : {}),
        ...(simulator ? { mailbox: sandboxMailbox(simulator) } : {}),
      },
    });
    await api.listen({ port: apiPort, host: apiHost });
    stops.push(() => api.close());
    const apiUrl = `http://${apiHost}:${(api.server.address() as { port: number }).port}`;
    const consoleUrl = browserUrl(apiHost, (api.server.address() as { port: number }).port);
    if (simulator && simulatorWebhooks === 'on') simulator.setWebhookTarget(`${consoleUrl}/v1/wix/webhooks`);

    const lines = [
      'site-handoff is running',
      `  Console       ${consoleUrl}/   (staff console in the browser${apiTokens.length ? '; sign in with a HANDOFF_API_TOKEN token' : ''})`,
      `  HTTP API      ${apiUrl}   (POST /v1/events/project-completed, GET /v1/handoffs/:id)`,
      `  Temporal      ${env.TEMPORAL_ADDRESS ?? 'localhost:7233'}, namespace "${namespace}", task queue "${taskQueue}"`,
      devServer
        ? `  Temporal UI   ${devServer.uiUrl}   (embedded dev server, data in ${env.HANDOFF_DATA_DIR || '.data'}/, closed workflows kept ${RETENTION_DAYS} days)`
        : '',
      codec
        ? `  Codec         ${apiUrl}/codec   (decodes payloads for the Temporal UI and \`temporal --codec-endpoint\`)`
        : '',
      simulator
        ? `  Wix           SANDBOX: simulator at ${simulator.url} — no real email is sent; play the customer with POST ${simulator.url}/_simulator/invites/<inviteId>/accept`
        : `  Wix           LIVE: ${live!.baseUrl}`,
      simulator
        ? simulatorWebhooks === 'on'
          ? `  Wix hints     the simulator POSTs Contributor Created to ${apiUrl}/v1/wix/webhooks on accept`
          : `  Wix hints     the simulator's hints are ${simulatorWebhooks === 'drop' ? 'dropped' : 'off'} (WIX_SIMULATOR_WEBHOOKS)`
        : wixWebhookKey
          ? `  Wix hints     register ${apiUrl}/v1/wix/webhooks for Contributor Created (Studio: Settings > Webhooks)`
          : '',
      notifier
        ? `  Notify        ${notifier.endpoints.length} endpoint(s): ${notifier.endpoints.map((e) => `${e.name} (${e.kind})`).join(', ')}`
        : '',
      apiTokens.length
        ? ''
        : '  WARNING       HANDOFF_API_TOKEN is not set: staff routes are open to anyone who can reach the API',
      webhookSecrets.length
        ? ''
        : '  WARNING       HANDOFF_WEBHOOK_SECRET is not set: project-completed webhooks are not signed',
    ];
    console.log(lines.filter(Boolean).join('\n'));

    let stopping = false;
    const shutdown = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: stopping (in-flight Wix calls finish or are retried by Temporal)...`);
      void stopAll().then(() => {
        console.log('site-handoff stopped');
        process.exit(0);
      });
    };
    process.on('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGTERM', () => shutdown('SIGTERM'));
    await running.catch(async (err: unknown) => {
      console.error(`site-handoff worker stopped: ${String(err)}`);
      await stopAll();
      process.exit(1);
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
}

main().catch((err: unknown) => {
  console.error(
    err instanceof ConfigError
      ? err.message
      : `site-handoff failed to start: ${err instanceof Error ? err.message : String(err)}`,
  );
  if (process.env.DEBUG) console.error(err);
  process.exit(1);
});
