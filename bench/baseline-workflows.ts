// The bare Temporal baseline for the throughput benchmark: the same signal-with-start, one no-op activity.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';

export const startSignal = defineSignal<[unknown]>('projectCompleted');

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function bareHandoff(): Promise<void> {
  let started = false;
  setHandler(startSignal, () => void (started = true));
  await condition(() => started);
  await noop();
  // Stay open like a pending handoff does, so both sides end in the same kind of state.
  await condition(() => false);
}
