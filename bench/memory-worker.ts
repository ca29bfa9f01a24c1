// A worker process for the memory benchmark: site-handoff's two workers or the bare baseline, measured on request
// after a full garbage collection, so the parent reads memory held, not garbage not yet collected.
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { HandoffWorkers } from '../src/handoff-worker';
import { openLedger } from '../src/ledger';
import { WixClient } from '../src/wix/client/wix-client';

export interface MemoryWorkerConfig {
  kind: 'site-handoff' | 'bare';
  address: string;
  taskQueue: string;
  bundlePath: string;
  /** undefined: the SDK's default for this machine. */
  maxCachedWorkflows?: number;
  wix: { baseUrl: string; apiKey: string; accountId: string };
}

export type MemoryWorkerMessage =
  | { type: 'ready'; maxCachedWorkflows: number }
  | { type: 'memory'; rss: number; heapUsed: number }
  | { type: 'count'; noops: number };

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_MEMORY_WORKER ?? '') as MemoryWorkerConfig;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const connection = await NativeConnection.connect({ address: config.address });
  const tuning =
    config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {};
  let noops = 0;
  const workers =
    config.kind === 'site-handoff'
      ? await HandoffWorkers.create({
          connection,
          taskQueue: config.taskQueue,
          wix: new WixClient(config.wix),
          ledger: await openLedger({ dataDir: 'memory://' }),
          workflowBundle: { codePath: config.bundlePath },
          tuning,
        })
      : await Worker.create({
          connection,
          taskQueue: config.taskQueue,
          workflowBundle: { codePath: config.bundlePath },
          activities: { noop: () => void noops++ },
          ...tuning,
        });
  const cache = (workers instanceof HandoffWorkers ? workers.workflows : workers).options.maxCachedWorkflows;
  process.on('message', (message: unknown) => {
    if (message === 'count') {
      // Polled while parking: no garbage collection here, or the poll itself would slow the worker down.
      process.send?.({ type: 'count', noops } satisfies MemoryWorkerMessage);
    } else if (message === 'measure') {
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const { rss, heapUsed } = process.memoryUsage();
      process.send?.({ type: 'memory', rss, heapUsed } satisfies MemoryWorkerMessage);
    } else if (message === 'stop') {
      workers.shutdown();
    }
  });
  process.send?.({ type: 'ready', maxCachedWorkflows: cache } satisfies MemoryWorkerMessage);
  await workers.run();
  await connection.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
