// Whole handoff lifecycles under the time-skipping server, beside the plain workflow with the same timers and
// activities: their histories feed the replay benchmark; many at once give wall time per lifecycle.
import type { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { completeProject } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import type { WixSimulator } from '../src/wix/simulator/wix-simulator';
import type { customerHandoff } from '../workflows/customer-handoff';
import { plainLifecycle, startSignal, type PlainStep } from './baseline-workflows';
import {
  baselineBundle,
  benchLedger,
  handoffBundle,
  inBatches,
  median,
  startSandbox,
  startTimeSkippingServer,
} from './support';

type History = temporal.api.history.v1.IHistory;

/** Never accepted: every reminder, then expiry (maxRenewals 0: one 30-day invite) or a renewal and expiry (1). */
export const neverAccepted = (maxRenewals: number) => ({ maxRenewals });

/** The timers and activities of a handoff's history, in order: what the plain workflow repeats. */
export function stepsOf(history: History): PlainStep[] {
  const steps: PlainStep[] = [];
  for (const event of history.events ?? []) {
    const timer = event.timerStartedEventAttributes?.startToFireTimeout;
    if (timer)
      steps.push({ timerMs: Number(timer.seconds ?? 0) * 1000 + Math.round((timer.nanos ?? 0) / 1e6) });
    if (event.activityTaskScheduledEventAttributes) steps.push({ activity: true });
  }
  return steps;
}

export interface LifecycleRun {
  histories: { handoff: History; plain: History };
  steps: PlainStep[];
  batchSize: number;
  handoff: {
    count: number;
    /** Median over batches of the batch's wall time divided by its size. */
    wallMsPerLifecycle: number;
    /** Wall time of every handoff batch, start to last result, over the count. */
    meanWallMsPerLifecycle: number;
    perBatchMs: number[];
    finalStates: Record<string, number>;
  };
  plain: { count: number; wallMsPerLifecycle: number; perBatchMs: number[] };
  ratio: number;
}

/** One batch's time-skipping server, simulator and workers; a fresh set per batch, torn down after it. */
async function withBatchEnvironment<T>(
  fn: (batch: { env: TestWorkflowEnvironment; sim: WixSimulator; accountId: string }) => Promise<T>,
): Promise<T> {
  const env = await startTimeSkippingServer();
  const { sim, accountId, wix } = await startSandbox({ clock: () => env.currentTimeMs() });
  try {
    const handoffWorkers = await HandoffWorkers.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-lifecycle',
      wix,
      ledger: await benchLedger(),
      workflowBundle: await handoffBundle(),
    });
    const plainWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-plain',
      workflowBundle: await baselineBundle(),
      activities: { noop: () => Promise.resolve() },
    });
    return await handoffWorkers.runUntil(() => plainWorker.runUntil(() => fn({ env, sim, accountId })));
  } finally {
    await sim.close();
    await env.teardown();
  }
}

/**
 * Runs `count` never-accepted handoffs (each on its own site), `batchSize` at once, and after every
 * `plainEvery`-th batch (and the last) a batch of plain lifecycles of the same size with the first handoff's
 * timers and activities. Each batch gets its own time-skipping server: one server slows down with every closed
 * lifecycle it keeps (measured: 1.8, 3.3, 3.8, 4.7 s per lifecycle over its first four batches of 20).
 * Wall time runs from the first start to the last result; server start-up is not counted.
 */
export async function runLifecycles({
  count,
  batchSize,
  plainEvery,
  maxRenewals,
}: {
  count: number;
  batchSize: number;
  plainEvery: number;
  maxRenewals: number;
}): Promise<LifecycleRun> {
  const finalStates: Record<string, number> = {};
  let firstHistory: History | undefined;
  let plainHistory: History | undefined;
  let steps: PlainStep[] = [];
  const handoffMs: number[] = [];
  const plainMs: number[] = [];
  let handoffWallMs = 0;

  /** Starts every lifecycle of the batch first, so the server skips time for all of them together. */
  const handoffBatch = (batch: number, size: number) =>
    withBatchEnvironment(async ({ env, sim, accountId }) => {
      const sites = Array.from({ length: size }, () => sim.addSite({ ownerAccountId: accountId }));
      const t0 = performance.now();
      const ids: string[] = [];
      await inBatches(sites, 50, async (siteId) => {
        const { workflowId } = await completeProject(
          env.client,
          {
            projectId: `PRJ-L${batch}`,
            siteId,
            customerEmails: [`c-${siteId}@bench.example`],
            role: 'Admin (Co-Owner)',
            policy: neverAccepted(maxRenewals),
          },
          { taskQueue: 'bench-lifecycle' },
        );
        ids.push(workflowId);
      });
      // One result awaited at a time: each await unlocks time skipping, and concurrent unlocks break the test
      // server ("Unbalanced lock and unlock calls"); the lifecycles still all run at once.
      for (const workflowId of ids) {
        const final = await env.client.workflow.getHandle<typeof customerHandoff>(workflowId).result();
        finalStates[final.state] = (finalStates[final.state] ?? 0) + 1;
      }
      const wallMs = performance.now() - t0;
      handoffWallMs += wallMs;
      firstHistory ??= await env.client.workflow.getHandle(ids[0]).fetchHistory();
      return wallMs / size;
    });

  const plainBatch = (batch: number, size: number) =>
    withBatchEnvironment(async ({ env }) => {
      const ids = Array.from({ length: size }, (_, i) => `plain-${batch}-${i}`);
      const t0 = performance.now();
      await inBatches(ids, 50, async (workflowId) => {
        await env.client.workflow.signalWithStart(plainLifecycle, {
          workflowId,
          taskQueue: 'bench-plain',
          args: [steps],
          signal: startSignal,
          signalArgs: [{}],
        });
      });
      for (const workflowId of ids)
        await env.client.workflow.getHandle<typeof plainLifecycle>(workflowId).result();
      const wallMs = (performance.now() - t0) / size;
      plainHistory ??= await env.client.workflow.getHandle(ids[0]).fetchHistory();
      return wallMs;
    });

  const batches = Math.ceil(count / batchSize);
  for (let batch = 0; batch < batches; batch++) {
    const size = Math.min(batchSize, count - batch * batchSize);
    handoffMs.push(await handoffBatch(batch, size));
    steps = stepsOf(firstHistory!);
    let line = `  lifecycles batch ${batch + 1}/${batches}: ${size} handoffs ${handoffMs[batch].toFixed(1)} ms each`;
    if ((batch + 1) % plainEvery === 0 || batch === batches - 1) {
      plainMs.push(await plainBatch(batch, batchSize));
      line += `, plain ${plainMs[plainMs.length - 1].toFixed(1)} ms each`;
    }
    console.log(line);
  }
  const handoffPer = median(handoffMs);
  const plainPer = median(plainMs);
  return {
    histories: { handoff: firstHistory!, plain: plainHistory! },
    steps,
    batchSize,
    handoff: {
      count,
      wallMsPerLifecycle: handoffPer,
      meanWallMsPerLifecycle: handoffWallMs / count,
      perBatchMs: handoffMs,
      finalStates,
    },
    plain: { count: plainMs.length * batchSize, wallMsPerLifecycle: plainPer, perBatchMs: plainMs },
    ratio: handoffPer / plainPer,
  };
}
