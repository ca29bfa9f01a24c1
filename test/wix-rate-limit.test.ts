// Wix's 200 calls a minute (issue 15) on a real dev server, the minute time-scaled so the file runs in seconds: a
// burst of handoffs started at once never exceeds the limit in any window, the first included, and under a backlog of
// acceptance checks new handoffs' invites go first.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { HandoffRequestRefused, changeHandoff, completeProject } from '../src/handoff-client';
import { createLedgerActivities } from '../activities/ledger';
import { handoffWorkflowId, statusQuery } from '../workflows/customer-handoff';
import { ONE_PARTITION_ARGS } from '../src/dev-server';
import { HandoffWorkers } from '../src/handoff-worker';
import { temporalBinaryPath } from '../src/temporal-binaries';
import { CallPacer } from '../src/wix/client/call-pacer';
import { WixClient } from '../src/wix/client/wix-client';
import { WixSimulator } from '../src/wix/simulator/wix-simulator';
import { peakInWindow } from './reliability/window-peak';
import { recordedHistories } from './support/histories';
import { testLedger } from './support/ledger';
import { workflowBundle } from './support/temporal';

const LIMIT = 200;
/** A 10 s "minute": the server's burst and a worker's first role lookup weigh six times more than at Wix's. */
const TIME_SCALE = 6;
const WINDOW_MS = 60_000 / TIME_SCALE;
const TASK_QUEUE = 'rate-limit-test';

let env: TestWorkflowEnvironment;
const accounts = new Map<WixSimulator, { accountId: string; apiKey: string }>();

beforeAll(async () => {
  // As `npm start` runs it: one partition, so the queue's limit and its priorities apply to the whole queue.
  env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporalBinaryPath('cli') },
      extraArgs: ['--log-level', 'error', ...ONE_PARTITION_ARGS],
    },
  });
  await workflowBundle();
});
afterAll(() => env?.teardown());

interface Rig {
  sim: WixSimulator;
  sites(n: number): string[];
  start(siteIds: string[]): Promise<void>;
  close(): Promise<void>;
  workers: HandoffWorkers;
}

/** Workers and a simulator; given one already running (and its account), new workers for it. */
async function rig(existing?: WixSimulator, uncached = false): Promise<Rig> {
  const sim =
    existing ?? (await WixSimulator.start({ rateLimitPerMinute: LIMIT, rateLimitWindowMs: WINDOW_MS }));
  const account = existing ? accounts.get(existing)! : { accountId: sim.addAccount(), apiKey: '' };
  // The same key as before: Wix limits per key.
  account.apiKey ||= sim.addApiKey({ accountId: account.accountId });
  accounts.set(sim, account);
  const { accountId, apiKey } = account;
  const workers = await HandoffWorkers.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    wix: new WixClient({ baseUrl: sim.url, apiKey, accountId }),
    // What an operator sets (WIX_RATE_LIMIT_PER_MINUTE), in scaled minutes.
    wixCallsPerMinute: LIMIT * TIME_SCALE,
    ledger: await testLedger(),
    workflowBundle: await workflowBundle(),
    // Workers that hand over to others mid-test keep nothing cached: a cached run's next task would wait on the
    // stopped worker's sticky queue for seconds.
    ...(uncached ? { tuning: { maxCachedWorkflows: 0 } } : {}),
  });
  return {
    sim,
    workers,
    sites: (n) => Array.from({ length: n }, () => sim.addSite({ ownerAccountId: accountId })),
    start: async (siteIds) => {
      await Promise.all(
        siteIds.map((siteId) =>
          completeProject(
            env.client,
            {
              projectId: 'PRJ-RL',
              siteId,
              customerEmails: [`c-${siteId}@test.example`],
              role: 'Admin (Co-Owner)',
            },
            { taskQueue: TASK_QUEUE },
          ),
        ),
      );
    },
    close: () => sim.close(),
  };
}

async function until(check: () => boolean, what: string, ms = 90_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Staff's "check now"; refused while the workflow has not yet taken in its invite's answer, so asked again. */
async function checkNow(siteId: string): Promise<void> {
  for (;;) {
    try {
      await changeHandoff(env.client, siteId, { kind: 'checkAcceptance', actor: 'test' });
      return;
    } catch (err) {
      if (!(err instanceof HandoffRequestRefused)) throw err;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const isBulkInvite = (path: string) => path.endsWith('/site-invite/bulk');
const isContributorsQuery = (path: string) => path.includes('/contributors/query');

test('the client-side pacer: no burst from the first call, in order, a queue too deep refused', async () => {
  const pacer = new CallPacer(200, 1_000);
  const starts: number[] = [];
  const began = Date.now();
  await Promise.all(Array.from({ length: 120 }, () => pacer.take().then(() => starts.push(Date.now()))));
  // 200 per second: 0.6 s for 120, each 100 ms window at most 20 + the bucket's one token at the start.
  expect(starts.filter((t) => t < began + 100).length).toBeLessThanOrEqual(21);
  expect(peakInWindow(starts, 100)).toBeLessThanOrEqual(23);
  const deep = Array.from({ length: 250 }, () => pacer.take());
  const refused = (await Promise.all(deep)).filter((t) => t.refusedForMs !== undefined);
  // About 200 fit in the second it may queue; the rest are refused without a call, to be retried later.
  expect(refused.length).toBeGreaterThan(30);
  expect(refused.every((t) => t.refusedForMs! > 1_000)).toBe(true);
});

test('120 handoffs started at once: no window above the limit, the first included, and no 429', async () => {
  const r = await rig();
  try {
    const sites = r.sites(120);
    // Started before the workers run, as after an outage or when a project tool replays its backlog: the queue
    // fills faster than its rate from the first second, where the server's token bucket is full.
    await r.start(sites);
    await r.workers.runUntil(() => until(() => r.sim.outbox().length >= sites.length, 'every invite'));
    const calls = r.sim.calls();
    const times = calls.map((c) => c.at);
    const peak = peakInWindow(times, WINDOW_MS);
    const firstWindow = times.filter((t) => t < Math.min(...times) + WINDOW_MS).length;
    console.log(
      `burst: ${calls.length} Wix calls, peak ${peak} per ${WINDOW_MS} ms window, first window ${firstWindow}, ` +
        `limit ${LIMIT}, drained in ${((Math.max(...times) - Math.min(...times)) / 1000).toFixed(1)} s`,
    );
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    expect(peak).toBeLessThanOrEqual(LIMIT);
    // One role lookup, then a contributors snapshot and a Bulk Invite per handoff: nothing was retried.
    expect(calls).toHaveLength(1 + 2 * sites.length);
  } finally {
    await r.close();
  }
});

test('under a backlog of acceptance checks, new handoffs are invited first', async () => {
  const r = await rig(undefined, true);
  try {
    const waiting = r.sites(60);
    const fresh = r.sites(30);
    await r.workers.runUntil(async () => {
      await r.start(waiting);
      await until(() => r.sim.outbox().length >= waiting.length, 'the first invites');
      await Promise.all(waiting.map(untilPending));
    });
    // The workflows alone: staff's "check now" on every waiting handoff, then 30 new handoffs, all queue their
    // Wix calls together, the checks first (6 s of the limit), as a burst of new handoffs meets a busy queue.
    const workflowsOnly = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: await workflowBundle(),
      activities: createLedgerActivities({ ledger: await testLedger() }),
      maxCachedWorkflows: 0,
    });
    await workflowsOnly.runUntil(async () => {
      await Promise.all(waiting.map(checkNow));
      await Promise.all(waiting.map(untilWixCallQueued));
      await r.start(fresh);
      await Promise.all(fresh.map(untilWixCallQueued));
    });
    const queuedAt = Date.now();
    const waitingSet = new Set(waiting);
    const freshSet = new Set(fresh);
    const checks = () =>
      r.sim
        .calls()
        .filter((c) => c.at >= queuedAt && isContributorsQuery(c.path) && waitingSet.has(c.siteId ?? ''));
    const rest = await rig(r.sim, true);
    await rest.workers.runUntil(() =>
      until(
        () => r.sim.outbox().length >= waiting.length + fresh.length && checks().length >= waiting.length,
        'the new invites and the checks',
      ),
    );
    const inviteAt = new Map(
      r.sim
        .calls()
        .filter((c) => isBulkInvite(c.path) && freshSet.has(c.siteId ?? ''))
        .map((c) => [c.siteId!, c.at]),
    );
    const snapshots = r.sim
      .calls()
      .filter((c) => isContributorsQuery(c.path) && freshSet.has(c.siteId ?? ''))
      .map((c) => c.at);
    const checkTimes = checks().map((c) => c.at);
    const checksBeforeSnapshots = checkTimes.filter((t) => t < Math.max(...snapshots)).length;
    // Each new Bulk Invite's time in the queue: from the workflow scheduling it to its call reaching Wix.
    const passedBy = await Promise.all(
      fresh.map(async (siteId) => {
        const scheduledAt = await sendInvitesScheduledAt(siteId);
        return checkTimes.filter((t) => t > scheduledAt && t < inviteAt.get(siteId)!).length;
      }),
    );
    const lastInvite = Math.max(...inviteAt.values());
    const s = (t: number) => `${((t - queuedAt) / 1000).toFixed(1)} s`;
    console.log(
      `priority: the ${fresh.length} new invites were all out ${s(lastInvite)} after the workers came back, the ` +
        `checks ran from ${s(Math.min(...checkTimes))} to ${s(Math.max(...checkTimes))}; ${checksBeforeSnapshots} ` +
        `of the ${checkTimes.length} queued checks went before the last new snapshot; at most ` +
        `${Math.max(...passedBy)} checks reached Wix while any one new invite was queued ` +
        `(${checkTimes.filter((t) => t < lastInvite).length} ran while no new call was queued)`,
    );
    // First in, first out, the 60 checks would go first and each invite would wait behind most of them. With
    // priority no queued check goes before a queued send; at most the few already handed to the worker's pacer.
    expect(checksBeforeSnapshots).toBeLessThanOrEqual(3);
    expect(Math.max(...passedBy)).toBeLessThanOrEqual(3);
  } finally {
    await r.close();
  }
});

/** When the handoff's workflow scheduled its Bulk Invite, by its history. */
async function sendInvitesScheduledAt(siteId: string): Promise<number> {
  const { events } = await env.client.workflow.getHandle(handoffWorkflowId(siteId)).fetchHistory();
  const scheduled = (events ?? []).find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'sendInvites',
  );
  const time = scheduled?.eventTime;
  if (!time) throw new Error(`${siteId} scheduled no Bulk Invite`);
  return Number(time.seconds) * 1000 + Math.floor((time.nanos ?? 0) / 1e6);
}

async function untilPending(siteId: string): Promise<void> {
  const handle = env.client.workflow.getHandle(handoffWorkflowId(siteId));
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    if ((await handle.query(statusQuery)).state === 'pending') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${siteId} never became pending`);
}

/** Until the handoff has a Wix activity scheduled and not yet started. */
async function untilWixCallQueued(siteId: string): Promise<void> {
  const handle = env.client.workflow.getHandle(handoffWorkflowId(siteId));
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const { raw } = await handle.describe();
    if ((raw.pendingActivities ?? []).some((a) => a.activityType?.name !== 'recordInLedger')) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${siteId} never queued a Wix call`);
}

/** The priority each scheduled Wix activity carries in a history: 0 when it carries none. */
function wixPriorities({ events }: temporal.api.history.v1.IHistory): Record<string, number[]> {
  const byType: Record<string, number[]> = {};
  for (const e of events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a?.taskQueue?.name?.endsWith('-wix')) continue;
    const type = a.activityType?.name ?? '?';
    (byType[type] ??= []).push(a.priority?.priorityKey ?? 0);
  }
  return byType;
}

const EXPECTED_PRIORITY: Record<string, number> = {
  prepareHandoff: 1,
  sendInvites: 1,
  resendInvite: 1,
  revokeInvite: 2,
  findContributors: 4,
};

test('the recorded histories hold both shapes: no priority before v0.7, sends 1, revokes 2, checks 4 from it', () => {
  const histories = recordedHistories();
  const seen = new Set<string>();
  for (const h of histories.filter((x) => x.name.endsWith('.v0.7'))) {
    for (const [type, keys] of Object.entries(wixPriorities(h.history))) {
      seen.add(type);
      expect({ history: h.name, type, keys: [...new Set(keys)] }).toEqual({
        history: h.name,
        type,
        keys: [EXPECTED_PRIORITY[type]],
      });
    }
  }
  expect([...seen].sort()).toEqual(expect.arrayContaining(Object.keys(EXPECTED_PRIORITY).sort()));
  for (const h of histories.filter((x) => /\.v0\.6$/.test(x.name))) {
    expect(
      Object.values(wixPriorities(h.history))
        .flat()
        .every((k) => k === 0),
    ).toBe(true);
  }
});
