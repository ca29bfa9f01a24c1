// A handoff under test: a real Temporal server, a real worker, the Wix simulator over HTTP.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { completeProject } from '../../src/handoff-client';
import { HandoffWorkers } from '../../src/handoff-worker';
import { WixClient } from '../../src/wix/client/wix-client';
import { WixSimulator, type WixSimulatorOptions } from '../../src/wix/simulator/wix-simulator';
import { customerHandoff, statusQuery } from '../../workflows/customer-handoff';
import type { HandoffStatus } from '../../workflows/handoff-types';
import type { Ledger } from '../../src/ledger';
import type { Notifier } from '../../src/notify';
import { testLedger } from './ledger';
import { TEST_DATA_CONVERTER, workflowBundle } from './temporal';

export const ADMIN_ROLE = 'Admin (Co-Owner)';

export interface Harness {
  sim: WixSimulator;
  /** The handoff records the workflow writes (PGlite in memory, shared by the test file). */
  ledger: Ledger;
  siteId: string;
  accountId: string;
  apiKey: string;
  taskQueue: string;
  wix: WixClient;
  /**
   * Runs `fn` with a fresh worker polling the handoff task queue, then shuts the worker down.
   * `stopsMidway`: the worker is stopped while the handoff goes on, so it must not keep a sticky cache
   * (the time-skipping server would keep routing tasks to the stopped worker).
   */
  withWorker<T>(
    fn: () => Promise<T>,
    options?: { wix?: WixClient; ledger?: Ledger; stopsMidway?: boolean; notifier?: Notifier },
  ): Promise<T>;
  complete(payload: Record<string, unknown>): Promise<WorkflowHandle<typeof customerHandoff>>;
  status(handle: WorkflowHandle): Promise<HandoffStatus>;
  /** Queries until `predicate` holds, in real time; the server skips workflow time meanwhile only if asked to. */
  waitForStatus(
    handle: WorkflowHandle,
    predicate: (s: HandoffStatus) => boolean,
    what: string,
  ): Promise<HandoffStatus>;
  close(): Promise<void>;
}

let queueCounter = 0;

export async function createHarness(
  env: TestWorkflowEnvironment,
  simulatorOptions: WixSimulatorOptions = {},
): Promise<Harness> {
  const bundle = await workflowBundle();
  const ledger = await testLedger();
  // The simulator's clock follows the Temporal server's, so invite expiry moves with skipped time.
  const sim = await WixSimulator.start({
    clock: () => env.currentTimeMs(),
    rateLimitPerMinute: 0,
    ...simulatorOptions,
  });
  const accountId = sim.addAccount();
  const apiKey = sim.addApiKey({ accountId });
  const siteId = sim.addSite({ ownerAccountId: accountId });
  const wix = new WixClient({ baseUrl: sim.url, apiKey, accountId, timeoutMs: 2_000 });
  const taskQueue = `handoff-test-${process.pid}-${++queueCounter}`;
  const started = new Set<string>();

  const harness: Harness = {
    sim,
    ledger,
    siteId,
    accountId,
    apiKey,
    taskQueue,
    wix,
    async withWorker(
      fn,
      { wix: client = wix, ledger: records = ledger, stopsMidway = false, notifier } = {},
    ) {
      const workers = await HandoffWorkers.create({
        connection: env.nativeConnection,
        taskQueue,
        wix: client,
        ledger: records,
        reconcileClient: env.client,
        workflowBundle: bundle,
        dataConverter: TEST_DATA_CONVERTER,
        ...(notifier ? { notifier } : {}),
        // Without a cache every task also replays the whole history, which checks determinism as it goes.
        tuning: { shutdownGraceTime: '1 second', ...(stopsMidway ? { maxCachedWorkflows: 0 } : {}) },
      });
      return workers.runUntil(fn);
    },
    async complete(payload) {
      const { workflowId } = await completeProject(env.client, payload, { taskQueue });
      started.add(workflowId);
      return env.client.workflow.getHandle<typeof customerHandoff>(workflowId);
    },
    status: (handle) => handle.query(statusQuery),
    async waitForStatus(handle, predicate, what) {
      const deadline = Date.now() + 30_000;
      let last: HandoffStatus | undefined;
      while (Date.now() < deadline) {
        last = await handle.query(statusQuery);
        if (predicate(last)) return last;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`Timed out waiting for ${what}; last status: ${JSON.stringify(last, null, 2)}`);
    },
    async close() {
      // Time is shared by the whole server: a handoff left open with no worker would stall time skipping.
      for (const id of started) {
        await env.client.workflow
          .getHandle(id)
          .terminate('test finished')
          .catch(() => undefined);
      }
      await sim.close();
    },
  };
  return harness;
}

export function projectEvent(
  siteId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    projectId: 'PRJ-1042',
    siteId,
    customerEmails: ['owner@customer.example'],
    role: ADMIN_ROLE,
    language: 'en',
    ...overrides,
  };
}
