// Load: LOAD_HANDOFFS (default 1,000) concurrent handoffs on the dev server with a short schedule, every customer
// accepting. All must reach `accepted` with exactly one invite email each; wall time and peak RSS are printed.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { completeProject, getHandoffStatus } from '../../src/handoff-client';
import type { customerHandoff } from '../../workflows/customer-handoff';
import { startDevServerEnv, workflowBundle } from '../support/temporal';
import { createHarness, projectEvent, type Harness } from '../support/handoff-harness';

const N = Number(process.env.LOAD_HANDOFFS ?? 1000);
const POLICY = { reminders: ['20s'], acceptancePoll: '2s', maxRenewals: 0 };

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

test(
  `${N} concurrent handoffs all reach accepted, one invite each`,
  async () => {
    const sites = Array.from({ length: N }, () =>
      h.sim.addSite({ ownerAccountId: h.accountId, seatLimit: 5 }),
    );
    const email = (i: number) => `customer-${i}@load.example`;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
    const started = Date.now();
    const errors: string[] = [];
    try {
      await h.withWorker(async () => {
        await inBatches(
          sites.map((siteId, i) => ({ siteId, i })),
          50,
          async ({ siteId, i }) => {
            await completeProject(
              env.client,
              projectEvent(siteId, { customerEmails: [email(i)], policy: POLICY }),
              { taskQueue: h.taskQueue },
            );
          },
        );
        const startedAll = Date.now();
        // Customers accept as their invites arrive.
        const accepted = new Set<string>();
        const deadline = Date.now() + 15 * 60_000;
        while (accepted.size < N && Date.now() < deadline) {
          for (const invite of h.sim.invites()) {
            if (invite.status === 'Pending' && invite.id && !accepted.has(invite.id)) {
              h.sim.acceptInvite(invite.id);
              accepted.add(invite.id);
            }
          }
          await new Promise((r) => setTimeout(r, 500));
        }
        const finals = new Map<string, number>();
        await inBatches(sites, 20, async (siteId) => {
          const handle = env.client.workflow.getHandle<typeof customerHandoff>(`handoff-${siteId}`);
          const state = await Promise.race([
            handle.result().then((s) => s.state),
            new Promise<string>((r) => setTimeout(() => r('timeout'), 10 * 60_000)),
          ]).catch((err: unknown) => {
            errors.push(String(err));
            return 'error';
          });
          finals.set(state, (finals.get(state) ?? 0) + 1);
        });
        const wall = (Date.now() - started) / 1000;
        console.log(
          `load: ${N} handoffs, started in ${((startedAll - started) / 1000).toFixed(1)} s, all final in ${wall.toFixed(1)} s ` +
            `(${(N / wall).toFixed(1)} handoffs/s end to end), final states ${JSON.stringify(Object.fromEntries(finals))}, ` +
            `errors ${errors.length}, peak RSS of the test process (worker + client + simulator) ${(peakRss / 2 ** 20).toFixed(0)} MiB`,
        );
        expect(Object.fromEntries(finals)).toEqual({ accepted: N });
        const status = await getHandoffStatus(env.client, `handoff-${sites[0]}`);
        expect(status?.state).toBe('accepted');
      });
    } finally {
      clearInterval(sampler);
    }
    expect(errors).toEqual([]);
    const duplicates = sites.map((_, i) => h.sim.emailCount(email(i))).filter((count) => count !== 1);
    expect(duplicates).toEqual([]);
  },
  30 * 60_000,
);
