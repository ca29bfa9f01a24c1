// Bare Temporal baselines the benchmarks compare site-handoff against: no machine, no validation, no Wix.
import { condition, defineSignal, proxyActivities, setHandler, sleep } from '@temporalio/workflow';

export const startSignal = defineSignal<[unknown]>('projectCompleted');

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

/** Throughput and memory: the same signal-with-start, one no-op activity, then parked like a pending handoff. */
export async function bareHandoff(): Promise<void> {
  let started = false;
  setHandler(startSignal, () => void (started = true));
  await condition(() => started);
  await noop();
  await condition(() => false);
}

type ProfileActivities = { noop(): Promise<void>; arrive(): Promise<void> };

/**
 * Throughput profile: the bare handoff with its activities on another task queue, as the rate-limited Wix queue
 * is, `before` no-op activities in a row and then the one that counts (`arrive`), like site-handoff's
 * contributors snapshot and Bulk Invite.
 */
export async function bareOnOtherQueue(activityTaskQueue: string, before: number): Promise<void> {
  let started = false;
  setHandler(startSignal, () => void (started = true));
  await condition(() => started);
  const remote = proxyActivities<ProfileActivities>({
    startToCloseTimeout: '1 minute',
    taskQueue: activityTaskQueue,
  });
  for (let i = 0; i < before; i++) await remote.noop();
  await remote.arrive();
  await condition(() => false);
}

/** One step of a lifecycle, in the order a handoff's history shows it. */
export type PlainStep = { timerMs: number } | { activity: true };

/** Replay and lifecycles: the same signal, then the same timers and activities as a recorded handoff, in order. */
export async function plainLifecycle(steps: PlainStep[]): Promise<void> {
  let started = false;
  setHandler(startSignal, () => void (started = true));
  await condition(() => started);
  for (const step of steps) {
    if ('timerMs' in step) await sleep(step.timerMs);
    else await noop();
  }
}
