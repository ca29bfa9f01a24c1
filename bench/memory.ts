// Memory: worker RSS per open, waiting handoff with 1,000 / 5,000 / 10,000 parked, the workflow cache at the SDK's
// default and at full size, beside the bare workflow parked the same way. The worker runs in its own process.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { completeProject } from '../src/handoff-client';
import { bareHandoff, startSignal } from './baseline-workflows';
import type { MemoryWorkerConfig, MemoryWorkerMessage } from './memory-worker';
import {
  baselineBundle,
  handoffBundle,
  inBatches,
  sleepMs,
  startDevServer,
  startSandbox,
  until,
  type Sandbox,
} from './support';

export interface MemoryRow {
  subject: 'site-handoff' | 'bare';
  cache: 'default' | 'full';
  maxCachedWorkflows: number;
  parked: number;
  rssBytes: number;
  bytesPerHandoff: number;
}

export interface MemoryResult {
  /** site-handoff with the full cache at the largest count: every parked handoff held in memory. */
  bytesPerHandoff: number;
  baselineBytesPerWorkflow: number;
  ratio: number;
  rows: MemoryRow[];
}

/** Parked before the first reading, so code loading and first-use caches are not charged to the handoffs. */
const WARM_UP = 100;
const STARTERS = 50;

type Mode = { subject: MemoryRow['subject']; cache: MemoryRow['cache'] };
const MODES: Mode[] = [
  { subject: 'bare', cache: 'full' },
  { subject: 'site-handoff', cache: 'full' },
  { subject: 'site-handoff', cache: 'default' },
];

class WorkerChild {
  private waiting: ((m: MemoryWorkerMessage) => void) | undefined;
  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: MemoryWorkerMessage) => this.waiting?.(m));
  }

  static async start(
    config: MemoryWorkerConfig,
  ): Promise<{ worker: WorkerChild; maxCachedWorkflows: number }> {
    const child = fork(path.join(__dirname, 'memory-worker.ts'), [], {
      execArgv: ['-r', 'ts-node/register/transpile-only', '--expose-gc'],
      env: { ...process.env, BENCH_MEMORY_WORKER: JSON.stringify(config) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new WorkerChild(child);
    const ready = await worker.next();
    if (ready.type !== 'ready') throw new Error('memory worker did not start');
    return { worker, maxCachedWorkflows: ready.maxCachedWorkflows };
  }

  private next(): Promise<MemoryWorkerMessage> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`memory worker exited (${code})`));
      this.child.once('exit', onExit);
      this.waiting = (m) => {
        this.child.off('exit', onExit);
        this.waiting = undefined;
        resolve(m);
      };
    });
  }

  async measure(): Promise<Extract<MemoryWorkerMessage, { type: 'memory' }>> {
    const reply = this.next();
    this.child.send('measure');
    const m = await reply;
    if (m.type !== 'memory') throw new Error('unexpected reply from the memory worker');
    return m;
  }

  async noops(): Promise<number> {
    const reply = this.next();
    this.child.send('count');
    const m = await reply;
    if (m.type !== 'count') throw new Error('unexpected reply from the memory worker');
    return m.noops;
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.send('stop');
    await Promise.race([exited, sleepMs(30_000).then(() => this.child.kill('SIGKILL'))]);
  }
}

async function parkRun(
  env: TestWorkflowEnvironment,
  sandbox: Sandbox,
  mode: Mode,
  counts: number[],
  bundlePaths: Record<Mode['subject'], string>,
  run: number,
): Promise<MemoryRow[]> {
  const taskQueue = `bench-memory-${run}`;
  const largest = Math.max(...counts);
  const { worker, maxCachedWorkflows } = await WorkerChild.start({
    kind: mode.subject,
    address: env.address,
    taskQueue,
    bundlePath: bundlePaths[mode.subject],
    ...(mode.cache === 'full' ? { maxCachedWorkflows: largest + WARM_UP } : {}),
    wix: { baseUrl: sandbox.sim.url, apiKey: sandbox.apiKey, accountId: sandbox.accountId },
  });
  const { sim, accountId } = sandbox;
  let parked = 0;
  const outboxAtStart = sim.outbox().length;
  /** Starts `count` more and waits until each has done its side effect and settled into its wait. */
  async function park(count: number): Promise<void> {
    const ids = Array.from({ length: count }, (_, i) => `${taskQueue}-${parked + i}`);
    await inBatches(ids, STARTERS, async (id) => {
      if (mode.subject === 'site-handoff') {
        const siteId = sim.addSite({ ownerAccountId: accountId });
        await completeProject(
          env.client,
          { projectId: id, siteId, customerEmails: [`c-${siteId}@bench.example`], role: 'Admin (Co-Owner)' },
          { taskQueue },
        );
      } else {
        await env.client.workflow.signalWithStart(bareHandoff, {
          workflowId: id,
          taskQueue,
          signal: startSignal,
          signalArgs: [{}],
        });
      }
    });
    parked += count;
    const target = parked;
    await until(
      async () =>
        mode.subject === 'site-handoff'
          ? sim.outbox().length - outboxAtStart >= target
          : (await worker.noops()) >= target,
      `${target} parked ${mode.subject} workflows`,
    );
    // The workflow task after the side effect (setting the next timer) completes just after it.
    await sleepMs(3_000);
  }

  const rows: MemoryRow[] = [];
  try {
    await park(WARM_UP);
    const start = await worker.measure();
    for (const count of counts) {
      await park(WARM_UP + count - parked);
      const { rss } = await worker.measure();
      const row: MemoryRow = {
        ...mode,
        maxCachedWorkflows,
        parked: count,
        rssBytes: rss,
        bytesPerHandoff: (rss - start.rss) / count,
      };
      rows.push(row);
      console.log(
        `  memory ${mode.subject}, cache ${mode.cache} (${maxCachedWorkflows}): ${count} parked, ` +
          `RSS ${(rss / 2 ** 20).toFixed(0)} MiB, ${(row.bytesPerHandoff / 1024).toFixed(1)} KiB each`,
      );
    }
  } finally {
    await worker.stop();
  }
  return rows;
}

export async function measureMemory({ counts }: { counts: number[] }): Promise<MemoryResult> {
  const env = await startDevServer();
  const sandbox = await startSandbox();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'site-handoff-bench-'));
  try {
    const bundlePaths = {
      'site-handoff': path.join(dir, 'handoff-bundle.js'),
      bare: path.join(dir, 'bare-bundle.js'),
    };
    writeFileSync(bundlePaths['site-handoff'], (await handoffBundle()).code);
    writeFileSync(bundlePaths.bare, (await baselineBundle()).code);
    const rows: MemoryRow[] = [];
    for (const [i, mode] of MODES.entries()) {
      rows.push(...(await parkRun(env, sandbox, mode, counts, bundlePaths, i)));
    }
    const largest = Math.max(...counts);
    const pick = (subject: MemoryRow['subject']) =>
      rows.find((r) => r.subject === subject && r.cache === 'full' && r.parked === largest)!.bytesPerHandoff;
    return {
      bytesPerHandoff: pick('site-handoff'),
      baselineBytesPerWorkflow: pick('bare'),
      ratio: pick('site-handoff') / pick('bare'),
      rows,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await sandbox.sim.close();
    await env.teardown();
  }
}
