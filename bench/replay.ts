// Replay: time to replay the longest realistic handoff history (every reminder, a renewal, expiry) against the
// plain workflow with the same timers and activities, both recorded in this run under the time-skipping server.
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { runLifecycles, type LifecycleRun } from './lifecycles';
import { baselineBundle, handoffBundle, median } from './support';

type History = temporal.api.history.v1.IHistory;

export interface ReplayResult {
  events: { handoff: number; plain: number };
  copiesPerRound: number;
  rounds: number;
  msPerHistory: number;
  baselineMsPerHistory: number;
  ratio: number;
}

/** Replays `copies` copies of `history` in one replay worker; returns ms per history. */
async function replayMany(
  workflowBundle: Awaited<ReturnType<typeof handoffBundle>>,
  history: History,
  copies: number,
): Promise<number> {
  const histories = Array.from({ length: copies }, (_, i) => ({ workflowId: `replay-${i}`, history }));
  const t0 = performance.now();
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    if (result.error) throw result.error;
  }
  return (performance.now() - t0) / copies;
}

export async function measureReplay({
  copies,
  rounds,
  recorded,
}: {
  copies: number;
  rounds: number;
  /** Histories already recorded with a renewal; recorded here when absent. */
  recorded?: LifecycleRun;
}): Promise<ReplayResult> {
  const run = recorded ?? (await runLifecycles({ count: 1, batchSize: 1, plainEvery: 1, maxRenewals: 1 }));
  const { handoff, plain } = run.histories;
  const handoffCode = await handoffBundle();
  const plainCode = await baselineBundle();
  // One untimed pass each warms up module loading; every timed round then builds its own replay worker, whose
  // set-up is spread over its copies (a little more for the larger handoff bundle).
  await replayMany(handoffCode, handoff, 1);
  await replayMany(plainCode, plain, 1);
  const subject: number[] = [];
  const baseline: number[] = [];
  for (let round = 0; round < rounds; round++) {
    baseline.push(await replayMany(plainCode, plain, copies));
    subject.push(await replayMany(handoffCode, handoff, copies));
    console.log(
      `  replay round ${round + 1}: plain ${baseline[round].toFixed(1)} ms, site-handoff ${subject[round].toFixed(1)} ms per history`,
    );
  }
  return {
    events: { handoff: handoff.events?.length ?? 0, plain: plain.events?.length ?? 0 },
    copiesPerRound: copies,
    rounds,
    msPerHistory: median(subject),
    baselineMsPerHistory: median(baseline),
    ratio: median(subject) / median(baseline),
  };
}
