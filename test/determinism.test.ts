// Proves the replay test has teeth: the same recorded histories fail replay against a changed invite machine
// that was shipped without `patched()`.
import path from 'node:path';
import webpack from 'webpack';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { recordedHistories } from './support/histories';
import { TEST_DATA_CONVERTER, workflowBundle } from './support/temporal';

const FIXTURE = path.resolve(__dirname, 'fixtures', 'invite-machine-without-reminders.ts');

/** The real workflows, with their imports of the invite machine pointed at the changed fixture. */
function bundleWithChangedMachine() {
  return bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} },
    webpackConfigHook: (config) => ({
      ...config,
      plugins: [
        ...(config.plugins ?? []),
        new webpack.NormalModuleReplacementPlugin(
          /invite-machine$/,
          (resource: { request: string; contextInfo?: { issuer?: string } }) => {
            // Every workflow file's import of the machine, but not the fixture's own.
            if (resource.contextInfo?.issuer?.includes(`${path.sep}workflows${path.sep}`))
              resource.request = FIXTURE;
          },
        ),
      ],
    }),
  });
}

test('a history with reminders replays on the current code but not on a changed machine without patched()', async () => {
  const history = recordedHistories().find((h) => h.name === 'accepted-after-reminders')!.history;
  await Worker.runReplayHistory(
    { workflowBundle: await workflowBundle(), dataConverter: TEST_DATA_CONVERTER },
    history,
  );
  const changed = await bundleWithChangedMachine();
  await expect(
    Worker.runReplayHistory({ workflowBundle: changed, dataConverter: TEST_DATA_CONVERTER }, history),
  ).rejects.toThrow(DeterminismViolationError);
});
