// The embedded Temporal dev server for `npm start`: the pinned CLI's `temporal server start-dev`, on a SQLite
// file so handoffs survive restarts, with the project's search attribute registered.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporalBinaryPath } from './temporal-binaries';

/** How long the embedded server keeps a closed handoff's workflow. */
export const RETENTION_DAYS = 30;

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/**
 * One partition per task queue. With the dev server's default partitions the Wix queue dispatched about 6 %
 * under its rate limit, in uneven bursts; with one it dispatched at the limit (bench/rate-limit.ts).
 */
export const ONE_PARTITION_ARGS = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

export async function startDevServer(options: {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  /** The codec endpoint the UI decodes payloads with (`<API>/codec`); unset when payloads are in clear. */
  uiCodecEndpoint?: string;
}): Promise<DevServer> {
  mkdirSync(options.dataDir, { recursive: true });
  const address = `127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(
    temporalBinaryPath('cli'),
    [
      'server',
      'start-dev',
      '--db-filename',
      path.join(options.dataDir, 'temporal.sqlite'),
      '--ip',
      '127.0.0.1',
      '--port',
      String(options.port),
      '--ui-port',
      String(options.uiPort),
      ...(options.uiCodecEndpoint ? ['--ui-codec-endpoint', options.uiCodecEndpoint] : []),
      // start-dev always creates "default"; other namespaces are added.
      ...(options.namespace === 'default' ? [] : ['--namespace', options.namespace]),
      '--search-attribute',
      'HandoffState=Keyword',
      ...ONE_PARTITION_ARGS,
      '--log-level',
      'error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `The Temporal dev server stopped at start (exit ${child.exitCode}). Is port ${options.port} or ${options.uiPort} ` +
          `in use? Set TEMPORAL_DEV_PORT / TEMPORAL_UI_PORT, or TEMPORAL_ADDRESS to use a running server.\n${stderr}`,
      );
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      // start-dev keeps closed workflows a day; the UI should show a month (the ledger keeps them for good).
      await connection.workflowService.updateNamespace({
        namespace: options.namespace,
        config: { workflowExecutionRetentionTtl: msToTs(`${RETENTION_DAYS} days`) },
      });
      await connection.close();
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`The Temporal dev server did not answer on ${address} within 60 s.\n${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return { address, uiUrl: `http://127.0.0.1:${options.uiPort}`, stop };
}
