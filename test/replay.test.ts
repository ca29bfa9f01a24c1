// Replays histories recorded from real runs: a workflow change that would break running handoffs fails here.
// Record anew (RECORD_HISTORIES=<tag> npm test -- customer-handoff) only for changes guarded by patched().
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { recordedHistories } from './support/histories';
import { TEST_DATA_CONVERTER, workflowBundle } from './support/temporal';

const histories = recordedHistories();
/** Delivery workflows (deliverNotification); every other history is a handoff's. */
const isDelivery = (name: string): boolean => name.startsWith('delivered-');
const handoffs = histories.filter((h) => !isDelivery(h.name));

test('histories are committed for the main lifecycles', () => {
  expect(histories.map((h) => h.name)).toEqual(
    expect.arrayContaining(['accepted-after-reminders', 'expired-after-renewal', 'revoked-while-pending']),
  );
});

test.each(histories.map((h) => [h.name, h.history] as const))('replays %s', async (_name, history) => {
  await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle(), dataConverter: TEST_DATA_CONVERTER },
    history,
  );
});

/** The ledger writes a history holds: regular `recordInLedger` activities, and local-activity markers. */
function ledgerWrites({ events }: temporal.api.history.v1.IHistory) {
  const markers = (events ?? []).flatMap((e) =>
    e.markerRecordedEventAttributes?.markerName === 'core_local_activity'
      ? [e.markerRecordedEventAttributes]
      : [],
  );
  return {
    activities: (events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recordInLedger',
    ).length,
    markers: markers.length,
    failedMarkers: markers.filter((m) => m.failure).length,
  };
}

// What the ledger-write patches changed: v0.3 runs keep their regular activities, v0.4 ones write locally, and
// v0.5 ones (`ledger-writes-activity`) and later (v0.6, v0.7) write through the regular activity again.
test.each(handoffs.filter((h) => /\.v0\.[3-7]$/.test(h.name)).map((h) => [h.name, h.history] as const))(
  'the ledger writes of %s are in the shape its version recorded',
  (name, history) => {
    const writes = ledgerWrites(history);
    if (!name.endsWith('.v0.4')) {
      expect(writes).toEqual({ activities: expect.any(Number), markers: 0, failedMarkers: 0 });
      expect(writes.activities).toBeGreaterThan(0);
    } else {
      // One marker per write; a regular activity only where a local attempt failed (the database was down).
      expect(writes.markers).toBeGreaterThan(0);
      expect(writes.activities).toBe(writes.failedMarkers);
    }
  },
);

test('a ledger outage is in the recorded histories: a failed local write, then the regular activity', () => {
  const outage = histories.find((h) => h.name === 'revoked-during-ledger-outage.v0.4');
  expect(outage && ledgerWrites(outage.history)).toEqual(
    expect.objectContaining({ activities: 1, failedMarkers: 1 }),
  );
});

// What the endpoint-queues patch changed: v0.6 deliveries ran their attempts on the handoff task queue (the
// workflow's own), v0.7 ones run on the notify queue and send each attempt to the endpoint's own queue.
test.each(histories.filter((h) => isDelivery(h.name)).map((h) => [h.name, h.history] as const))(
  'the attempts of %s are on the queue its version recorded',
  (name, { events }) => {
    const workflowQueue = events?.[0].workflowExecutionStartedEventAttributes?.taskQueue?.name ?? '';
    const attempts = (events ?? []).flatMap((e) =>
      e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverWebhook'
        ? [e.activityTaskScheduledEventAttributes.taskQueue?.name]
        : [],
    );
    const patches = (events ?? []).filter(
      (e) => e.markerRecordedEventAttributes?.markerName === 'core_patch',
    );
    expect(attempts.length).toBeGreaterThan(0);
    if (name.endsWith('.v0.6')) {
      expect(patches).toHaveLength(0);
      expect(attempts.every((q) => q === workflowQueue)).toBe(true);
    } else {
      expect(workflowQueue).toMatch(/-notify$/);
      expect(patches).toHaveLength(1);
      expect(attempts.every((q) => q === `${workflowQueue}-slow`)).toBe(true);
    }
  },
);

test('delivery histories of both shapes are committed', () => {
  expect(histories.map((h) => h.name)).toEqual(
    expect.arrayContaining(['delivered-after-timeout.v0.6', 'delivered-after-timeout.v0.7']),
  );
});
