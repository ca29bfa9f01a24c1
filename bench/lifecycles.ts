// Whole handoff lifecycles under the time-skipping server, beside the plain workflow with the same timers and
// activities: their histories feed the replay benchmark; many at once give wall time per lifecycle.
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { completeProject } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import type { customerHandoff } from '../workflows/customer-handoff';
import { plainLifecycle, startSignal, type PlainStep } from './baseline-workflows';
import {
  baselineBundle,
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
  handoff: { count: number; wallMsPerLifecycle: number; finalStates: Record<string, number> };
  plain: { count: number; wallMsPerLifecycle: number };
  ratio: number;
}

/**
 * Runs `count` never-accepted handoffs at once (each on its own site), then `count` plain lifecycles with the
 * first handoff's timers and activities, in rounds; wall times are medians per lifecycle.
 */
export async function runLifecycles({
  count,
  rounds,
  maxRenewals,
}: {
  count: number;
  rounds: number;
  maxRenewals: number;
}): Promise<LifecycleRun> {
  const env = await startTimeSkippingServer();
  const sandbox = await startSandbox({ clock: () => env.currentTimeMs() });
  const { sim, accountId, wix } = sandbox;
  try {
    const handoffWorkers = await HandoffWorkers.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-lifecycle',
      wix,
      workflowBundle: await handoffBundle(),
    });
    const plainWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-plain',
      workflowBundle: await baselineBundle(),
      activities: { noop: () => Promise.resolve() },
    });
    const finalStates: Record<string, number> = {};
    let firstHistory: History | undefined;
    let plainHistory: History | undefined;
    let steps: PlainStep[] = [];
    const handoffMs: number[] = [];
    const plainMs: number[] = [];
    let run = 0;

    /** Starts every lifecycle first, so the server skips time for all of them together. */
    async function handoffRound(): Promise<number> {
      const sites = Array.from({ length: count }, () => sim.addSite({ ownerAccountId: accountId }));
      const t0 = performance.now();
      const ids: string[] = [];
      await inBatches(sites, 50, async (siteId) => {
        const { workflowId } = await completeProject(
          env.client,
          {
            projectId: `PRJ-L${run}`,
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
      const wallMs = (performance.now() - t0) / count;
      firstHistory ??= await env.client.workflow.getHandle(ids[0]).fetchHistory();
      return wallMs;
    }

    async function plainRound(): Promise<number> {
      const ids = Array.from({ length: count }, (_, i) => `plain-${run}-${i}`);
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
      const wallMs = (performance.now() - t0) / count;
      plainHistory ??= await env.client.workflow.getHandle(ids[0]).fetchHistory();
      return wallMs;
    }

    await handoffWorkers.runUntil(() =>
      plainWorker.runUntil(async () => {
        for (run = 0; run < rounds; run++) {
          handoffMs.push(await handoffRound());
          steps = stepsOf(firstHistory!);
          plainMs.push(await plainRound());
          console.log(
            `  lifecycles round ${run + 1}: ${count} handoffs ${handoffMs[run].toFixed(1)} ms each, ` +
              `plain ${plainMs[run].toFixed(1)} ms each`,
          );
        }
      }),
    );
    const handoffPer = median(handoffMs);
    const plainPer = median(plainMs);
    return {
      histories: { handoff: firstHistory!, plain: plainHistory! },
      steps,
      handoff: { count, wallMsPerLifecycle: handoffPer, finalStates },
      plain: { count, wallMsPerLifecycle: plainPer },
      ratio: handoffPer / plainPer,
    };
  } finally {
    await sim.close();
    await env.teardown();
  }
}
