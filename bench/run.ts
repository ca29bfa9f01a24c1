// `npm run bench [-- --quick]`: site-handoff against a bare Temporal baseline on the pinned dev server, rounds
// interleaved, medians reported as ratios (the machine is shared; absolute times vary). Writes bench/results.json.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { completeProject } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import { temporalBinaryPath } from '../src/temporal-binaries';
import { WixClient } from '../src/wix/wix-client';
import { WixSimulator } from '../src/wix/wix-simulator';
import { bareHandoff, startSignal } from './baseline-workflows';

const quick = process.argv.includes('--quick');
const ROUNDS = 5;
const N = quick ? 100 : 400;
const noopLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} };

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinaryPath('cli') },
      extraArgs: ['--log-level', 'error'],
    },
  });
  const sim = await WixSimulator.start({ rateLimitPerMinute: 0 });
  const accountId = sim.addAccount();
  const apiKey = sim.addApiKey({ accountId });
  const wix = new WixClient({ baseUrl: sim.url, apiKey, accountId });
  const handoffBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: noopLogger,
  });
  const bareBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('./baseline-workflows'),
    logger: noopLogger,
  });
  const handoff = await HandoffWorkers.create({
    connection: env.nativeConnection,
    taskQueue: 'bench-handoff',
    wix,
    workflowBundle: handoffBundle,
  });
  const bare = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: 'bench-bare',
    workflowBundle: bareBundle,
    activities: { noop: () => Promise.resolve() },
  });

  /** Handoffs per second from signal-with-start until every invite reached the simulator. */
  async function subjectRound(): Promise<number> {
    const sites = Array.from({ length: N }, () => sim.addSite({ ownerAccountId: accountId }));
    const before = sim.outbox().length;
    const t0 = performance.now();
    await inBatches(sites, 50, async (siteId) => {
      await completeProject(
        env.client,
        {
          projectId: 'PRJ-B',
          siteId,
          customerEmails: [`c-${siteId}@bench.example`],
          role: 'Admin (Co-Owner)',
        },
        { taskQueue: 'bench-handoff' },
      );
    });
    while (sim.outbox().length - before < N) await new Promise((r) => setTimeout(r, 20));
    return N / ((performance.now() - t0) / 1000);
  }

  /** The bare workflow: same signal-with-start, one no-op activity; counted when every activity completed. */
  let bareRun = 0;
  async function baselineRound(): Promise<number> {
    bareRun++;
    const ids = Array.from({ length: N }, (_, i) => `bare-${bareRun}-${i}`);
    const t0 = performance.now();
    await inBatches(ids, 50, async (workflowId) => {
      await env.client.workflow.signalWithStart(bareHandoff, {
        workflowId,
        taskQueue: 'bench-bare',
        signal: startSignal,
        signalArgs: [{}],
      });
    });
    // Wait until every workflow has completed its activity (history has ActivityTaskCompleted).
    await inBatches(ids, 20, async (workflowId) => {
      for (;;) {
        const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
        if (history.events?.some((e) => e.activityTaskCompletedEventAttributes)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    return N / ((performance.now() - t0) / 1000);
  }

  const subject: number[] = [];
  const baseline: number[] = [];
  await handoff.runUntil(() =>
    bare.runUntil(async () => {
      for (let round = 0; round < ROUNDS; round++) {
        baseline.push(await baselineRound());
        subject.push(await subjectRound());
        console.log(
          `round ${round + 1}: baseline ${baseline[round].toFixed(1)}/s, site-handoff ${subject[round].toFixed(1)}/s`,
        );
      }
    }),
  );
  const results = {
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      quick,
    },
    throughput: {
      handoffsPerRound: N,
      rounds: ROUNDS,
      perSecond: median(subject),
      baselinePerSecond: median(baseline),
      ratio: median(subject) / median(baseline),
    },
    memory: { bytesPerHandoff: null },
    replay: { ratio: null },
    rateLimit: { peakPerWindow: null, limit: null },
  };
  console.table({
    'throughput (handoffs/s, median)': {
      subject: results.throughput.perSecond,
      baseline: results.throughput.baselinePerSecond,
      ratio: results.throughput.ratio,
    },
  });
  writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  await sim.close();
  await env.teardown();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
