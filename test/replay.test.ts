// Replays histories recorded from real runs: a workflow change that would break running handoffs fails here.
// Record anew (RECORD_HISTORIES=1 npm test -- customer-handoff) only for changes guarded by patched().
import { Worker } from '@temporalio/worker';
import { recordedHistories } from './support/histories';
import { TEST_DATA_CONVERTER, workflowBundle } from './support/temporal';

const histories = recordedHistories();

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
