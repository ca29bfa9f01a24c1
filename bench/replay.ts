// Replay: time to replay the longest realistic handoff history (every reminder, a renewal, expiry) against the
// plain workflow with the same timers and activities, both recorded in this run under the time-skipping server.
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { runLifecycles, type LifecycleRun } from './lifecycles';
import { baselineBundle, handoffBundle, median } from './support';

type History = temporal.api.history.v1.IHistory;

export interface ReplayResult {
  events: { handoff: number; plain: number };
  /** How the handoff history holds its ledger writes: local-activity markers, or regular activities. */
  ledgerWrites: { localMarkers: number; activities: number };
  copiesPerRound: number;
  rounds: number;
  msPerHistory: number;
  baselineMsPerHistory: number;
  ratio: number;
  /** Process CPU time (all threads: the workflow sandbox and Core), medians over the rounds as above. */
  cpuMsPerHistory: number;
  baselineCpuMsPerHistory: number;
  cpuRatio: number;
}

/** The handoff's ledger writes in a history: the plain workflow mirrors only the regular activities among them. */
function ledgerWritesOf({ events }: History): ReplayResult['ledgerWrites'] {
  return {
    localMarkers: (events ?? []).filter(
      (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    ).length,
    activities: (events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordInLedger',
    ).length,
  };
}

/** Replays `copies` copies of `history` in one replay worker; returns wall and process CPU ms per history. */
async function replayMany(
  workflowBundle: Awaited<ReturnType<typeof handoffBundle>>,
  history: History,
  copies: number,
): Promise<{ wallMs: number; cpuMs: number }> {
  const histories = Array.from({ length: copies }, (_, i) => ({ workflowId: `replay-${i}`, history }));
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for await (const result of Worker.runReplayHistories({ workflowBundle }, histories)) {
    if (result.error) throw result.error;
  }
  const cpu = process.cpuUsage(cpu0);
  // CPU time as well as wall time: on a shared machine other processes stretch the wall time, not the CPU time.
  return { wallMs: (performance.now() - t0) / copies, cpuMs: (cpu.user + cpu.system) / 1000 / copies };
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
  const ledgerWrites = ledgerWritesOf(handoff);
  console.log(
    `  replay histories: site-handoff ${handoff.events?.length ?? 0} events (ledger writes: ${ledgerWrites.localMarkers} local, ${ledgerWrites.activities} activities), plain ${plain.events?.length ?? 0} events`,
  );
  const handoffCode = await handoffBundle();
  const plainCode = await baselineBundle();
  // One untimed pass each warms up module loading; every timed round then builds its own replay worker, whose
  // set-up is spread over its copies (a little more for the larger handoff bundle).
  await replayMany(handoffCode, handoff, 1);
  await replayMany(plainCode, plain, 1);
  const subject: number[] = [];
  const baseline: number[] = [];
  const subjectCpu: number[] = [];
  const baselineCpu: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const plainRound = await replayMany(plainCode, plain, copies);
    const handoffRound = await replayMany(handoffCode, handoff, copies);
    baseline.push(plainRound.wallMs);
    subject.push(handoffRound.wallMs);
    baselineCpu.push(plainRound.cpuMs);
    subjectCpu.push(handoffRound.cpuMs);
    console.log(
      `  replay round ${round + 1}: plain ${plainRound.wallMs.toFixed(1)} ms (CPU ${plainRound.cpuMs.toFixed(1)}), site-handoff ${handoffRound.wallMs.toFixed(1)} ms (CPU ${handoffRound.cpuMs.toFixed(1)}) per history`,
    );
  }
  return {
    events: { handoff: handoff.events?.length ?? 0, plain: plain.events?.length ?? 0 },
    ledgerWrites,
    copiesPerRound: copies,
    rounds,
    msPerHistory: median(subject),
    baselineMsPerHistory: median(baseline),
    ratio: median(subject) / median(baseline),
    cpuMsPerHistory: median(subjectCpu),
    baselineCpuMsPerHistory: median(baselineCpu),
    cpuRatio: median(subjectCpu) / median(baselineCpu),
  };
}
