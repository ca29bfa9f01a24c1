// Bulk change over BULK_HANDOFFS (default 1,000) running handoffs on the dev server: one `changePolicy` for all of
// them through the bulk-change workflow, which walks visibility and sends each handoff the same update, then a bulk
// `pause` with a handful already paused (each refused by its own machine, named in the summary). Judged on the
// progress summary, on every handoff's own status, and at Wix (neither bulk sends an email). The wall time of each
// bulk is printed (figures in docs/reliability.md). Run alone with
// `RELIABILITY=1 npx jest --runInBand test/reliability/bulk-change.test.ts` (with the NODE_OPTIONS of package.json):
// `npm run test:reliability -- <file>` also matches its own `test/reliability` pattern, so it runs every suite.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bulkChangeProgress,
  changeHandoff,
  completeProject,
  getHandoffStatus,
  startBulkChange,
} from '../../src/handoff-client';
import type { BulkChangeProgress } from '../../workflows/bulk-change';
import { WORKFLOW_TYPE } from '../../workflows/customer-handoff';
import type { ChangeRequest, HandoffStatus } from '../../workflows/handoff-types';
import { startDevServerEnv, workflowBundle } from '../support/temporal';
import { createHarness, projectEvent, type Harness } from '../support/handoff-harness';

const N = Number(process.env.BULK_HANDOFFS ?? 1000);
const DAY_MS = 24 * 3600 * 1000;
const STAFF = 'staff:ana';
const PRE_PAUSED = 5;
// The default cadence (2, 5, 10, 20 days) and a 6-hour acceptance poll: nothing at Wix is due during the test.
const NEW_POLICY = { reminders: ['1 day', '4 days'] };

let env: TestWorkflowEnvironment;
let h: Harness;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
  h = await createHarness(env);
}, 120_000);
afterAll(async () => {
  await h?.close();
  await env?.teardown();
});

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function waitFor(
  check: () => Promise<boolean> | boolean,
  what: () => string,
  ms: number,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts a bulk change and polls its progress until done; the wall time is from the start call to done. */
async function runBulk(request: ChangeRequest): Promise<{ progress: BulkChangeProgress; seconds: number }> {
  const started = Date.now();
  const id = await startBulkChange(env.client, request, { taskQueue: h.taskQueue });
  let progress: BulkChangeProgress | undefined;
  let polls = 0;
  await waitFor(
    async () => {
      progress = await bulkChangeProgress(env.client, id);
      polls++;
      return progress?.done === true;
    },
    () => `the bulk ${request.kind} to finish (${JSON.stringify(progress)})`,
    15 * 60_000,
  );
  const seconds = (Date.now() - started) / 1000;
  // The progress was readable while it ran, and the workflow's own result is the same summary.
  expect(polls).toBeGreaterThan(1);
  expect(await env.client.workflow.getHandle(id).result()).toEqual(progress);
  return { progress: progress!, seconds };
}

test(
  `one changePolicy for ${N} running handoffs: every one changed; a bulk pause names its refusals; no email sent`,
  async () => {
    const sites = Array.from({ length: N }, () => h.sim.addSite({ ownerAccountId: h.accountId }));
    const email = (i: number) => `customer-${i}@bulk.example`;
    await h.withWorker(async () => {
      const t0 = Date.now();
      await inBatches(
        sites.map((siteId, i) => ({ siteId, i })),
        50,
        async ({ siteId, i }) => {
          await completeProject(env.client, projectEvent(siteId, { customerEmails: [email(i)] }), {
            taskQueue: h.taskQueue,
            // As the API and the CLI start them on a namespace that has the attribute (the dev server here).
            withSearchAttribute: true,
          });
        },
      );
      const started = Date.now();
      await waitFor(
        () => h.sim.invites().filter((i) => i.status === 'Pending').length === N,
        () => `${N} invites (${h.sim.invites().length} so far)`,
        10 * 60_000,
      );
      // The bulk change finds handoffs through visibility: wait until it lists every one of them as pending.
      let listed = 0;
      await waitFor(
        async () => {
          ({ count: listed } = await env.client.workflow.count(
            `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND HandoffState = 'pending'`,
          ));
          return listed === N;
        },
        () => `${N} pending handoffs in visibility (${listed} listed)`,
        5 * 60_000,
      );
      const pendingAll = Date.now();
      const outboxBefore = h.sim.outbox().length;
      const callsBefore = h.sim.calls().length;

      const policyBulk = await runBulk({ kind: 'changePolicy', policy: NEW_POLICY, actor: STAFF });
      expect(policyBulk.progress).toEqual({
        done: true,
        seen: N,
        changed: N,
        refused: 0,
        gone: 0,
        refusals: [],
      });

      // Every handoff says so itself: the new cadence in force, the next reminder one day after its invite, the
      // change audited once (the bulk's update id per handoff), still pending.
      const wrong: string[] = [];
      await inBatches(sites, 20, async (siteId) => {
        const status: HandoffStatus | undefined = await getHandoffStatus(env.client, `handoff-${siteId}`);
        const sent = status?.audit.find((a) => a.event === 'invite sent');
        const changes = status?.audit.filter((a) => a.event === 'policy changed') ?? [];
        const nextIn =
          status?.nextReminderAt && sent ? Date.parse(status.nextReminderAt) - Date.parse(sent.at) : NaN;
        const ok =
          status?.state === 'pending' &&
          JSON.stringify(status.policy?.reminderOffsetsMs) === JSON.stringify([DAY_MS, 4 * DAY_MS]) &&
          changes.length === 1 &&
          changes[0].actor === STAFF &&
          Math.abs(nextIn - DAY_MS) < 10_000;
        if (!ok) wrong.push(`${siteId}: ${JSON.stringify({ ...status, audit: status?.audit.slice(-3) })}`);
      });
      expect(wrong.slice(0, 3)).toEqual([]);

      // Refusals at scale: a handful paused one by one first, then a bulk pause: each of those is refused by its
      // own machine, named in the summary with the reason; every other handoff is paused by the bulk.
      const prePaused = sites
        .filter((_, i) => i % Math.ceil(N / PRE_PAUSED) === 0)
        .map((s) => `handoff-${s}`);
      for (const id of prePaused)
        await changeHandoff(env.client, id, { kind: 'pause', reason: 'customer on holiday', actor: STAFF });
      const pauseBulk = await runBulk({ kind: 'pause', reason: 'agency holidays', actor: STAFF });
      const { refusals, ...counts } = pauseBulk.progress;
      expect(counts).toEqual({
        done: true,
        seen: N,
        changed: N - prePaused.length,
        refused: prePaused.length,
        gone: 0,
      });
      expect([...refusals].sort((a, b) => a.handoffId.localeCompare(b.handoffId))).toEqual(
        [...prePaused].sort().map((handoffId) => ({ handoffId, reason: 'reminders are already paused' })),
      );
      const unpaused: string[] = [];
      await inBatches(sites, 20, async (siteId) => {
        const status = await getHandoffStatus(env.client, `handoff-${siteId}`);
        const reason = prePaused.includes(`handoff-${siteId}`) ? 'customer on holiday' : 'agency holidays';
        if (status?.paused?.reason !== reason || status.state !== 'pending') unpaused.push(siteId);
      });
      expect(unpaused).toEqual([]);

      // Neither change sent anything: no email, and no Wix call that could send one.
      const during = h.sim.calls().slice(callsBefore);
      expect(h.sim.outbox().length).toBe(outboxBefore);
      expect(outboxBefore).toBe(N);
      expect(during.filter((c) => /\/(bulk|resend)$/.test(c.path))).toEqual([]);

      console.log(
        `bulk change: ${N} handoffs started in ${((started - t0) / 1000).toFixed(1)} s, all pending and listed in ` +
          `${((pendingAll - t0) / 1000).toFixed(1)} s; changePolicy over all ${N} in ${policyBulk.seconds.toFixed(1)} s ` +
          `(${(N / policyBulk.seconds).toFixed(1)} changes/s), progress ${JSON.stringify(policyBulk.progress)}; ` +
          `pause over all ${N} (${prePaused.length} already paused) in ${pauseBulk.seconds.toFixed(1)} s ` +
          `(${(N / pauseBulk.seconds).toFixed(1)} handoffs/s), ${JSON.stringify(counts)}; ` +
          `Wix calls during both ${during.length}, emails ${h.sim.outbox().length - outboxBefore}`,
      );
    });
  },
  30 * 60_000,
);
