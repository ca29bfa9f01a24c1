// Throughput: handoffs driven from signal-with-start to `pending` (the invite reached the simulator) per second,
// against a bare workflow taking the same signal and running one no-op activity. Both counted at their side effect.
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { completeProject } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import { bareHandoff, bareOnOtherQueue, startSignal } from './baseline-workflows';
import {
  baselineBundle,
  handoffBundle,
  inBatches,
  median,
  startDevServer,
  startSandbox,
  until,
} from './support';

export interface ThroughputResult {
  handoffsPerRound: number;
  rounds: number;
  perSecond: number;
  baselinePerSecond: number;
  ratio: number;
  perRound: {
    subject: number;
    baseline: number;
    otherQueue: number;
    twoOnOtherQueue: number;
    twoCallingWix: number;
  }[];
  /**
   * Where the gap goes, medians per second: the bare workflow with its one activity on a second task queue (as
   * the Wix queue is); with two activities there in a row (as the contributors snapshot and Bulk Invite are);
   * and with those two making site-handoff's Wix calls to the simulator. What is left is site-handoff's own code.
   */
  profile: {
    oneActivityOnOtherQueue: number;
    twoActivitiesOnOtherQueue: number;
    twoActivitiesCallingWix: number;
  };
}

/** Clients in flight at once, like a project tool replaying a backlog. */
const STARTERS = 50;

export async function measureThroughput({
  n,
  rounds,
}: {
  n: number;
  rounds: number;
}): Promise<ThroughputResult> {
  const env = await startDevServer();
  const { sim, accountId, wix } = await startSandbox();
  let noops = 0;
  let arrivals = 0;
  try {
    const handoff = await HandoffWorkers.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-handoff',
      wix,
      workflowBundle: await handoffBundle(),
    });
    const bare = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-bare',
      workflowBundle: await baselineBundle(),
      activities: { noop: () => void noops++ },
    });
    const otherQueue = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-bare-other',
      activities: { noop: () => Promise.resolve(), arrive: () => void arrivals++ },
    });

    // The same two Wix calls as a handoff, made by bare activities; the site is in the workflow id.
    const { id: roleId } = await wix.resolveRole('Admin (Co-Owner)');
    const siteOfWorkflow = () => {
      const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
      return workflowId.slice(workflowId.indexOf('_') + 1);
    };
    const callingWix = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-bare-wix',
      activities: {
        noop: async () => void (await wix.querySiteContributors(siteOfWorkflow(), { policyIds: [roleId] })),
        arrive: async () => {
          const siteId = siteOfWorkflow();
          await wix.bulkInvite(siteId, { policyIds: [roleId], emails: [`c-${siteId}@bench.example`] });
        },
      },
    });

    async function subjectRound(count = n): Promise<number> {
      const sites = Array.from({ length: count }, () => sim.addSite({ ownerAccountId: accountId }));
      const before = sim.outbox().length;
      const t0 = performance.now();
      await inBatches(sites, STARTERS, async (siteId) => {
        await completeProject(
          env.client,
          {
            projectId: 'PRJ-B',
            siteId,
            customerEmails: [`c-${siteId}@bench.example`],
            role: 'Admin (Co-Owner)',
          },
          { taskQueue: 'bench-handoff' },
        );
      });
      await until(() => sim.outbox().length - before >= count, 'the invites');
      return count / ((performance.now() - t0) / 1000);
    }

    let bareRun = 0;
    async function baselineRound(count = n): Promise<number> {
      bareRun++;
      const ids = Array.from({ length: count }, (_, i) => `bare-${bareRun}-${i}`);
      const before = noops;
      const t0 = performance.now();
      await inBatches(ids, STARTERS, async (workflowId) => {
        await env.client.workflow.signalWithStart(bareHandoff, {
          workflowId,
          taskQueue: 'bench-bare',
          signal: startSignal,
          signalArgs: [{}],
        });
      });
      await until(() => noops - before >= count, 'the no-op activities');
      return count / ((performance.now() - t0) / 1000);
    }

    let profileRun = 0;
    /** The bare workflow with `before` + 1 activities on `queue`; counted when the last one ran. */
    async function profileRound(queue: 'bench-bare-other' | 'bench-bare-wix', before: number, count = n) {
      profileRun++;
      const sites =
        queue === 'bench-bare-wix'
          ? Array.from({ length: count }, () => sim.addSite({ ownerAccountId: accountId }))
          : Array.from({ length: count }, (_, i) => String(i));
      const arrived = () => (queue === 'bench-bare-wix' ? sim.outbox().length : arrivals);
      const start = arrived();
      const t0 = performance.now();
      await inBatches(sites, STARTERS, async (siteId) => {
        await env.client.workflow.signalWithStart(bareOnOtherQueue, {
          workflowId: `profile-${profileRun}_${siteId}`,
          taskQueue: 'bench-bare',
          args: [queue, before],
          signal: startSignal,
          signalArgs: [{}],
        });
      });
      await until(() => arrived() - start >= count, 'the profile activities');
      return count / ((performance.now() - t0) / 1000);
    }

    const perRound: ThroughputResult['perRound'] = [];
    await handoff.runUntil(() =>
      bare.runUntil(() =>
        otherQueue.runUntil(() =>
          callingWix.runUntil(async () => {
            // A short warm-up on every side, so none pays for first-use compilation in round 1.
            await subjectRound(Math.ceil(n / 4));
            await baselineRound(Math.ceil(n / 4));
            await profileRound('bench-bare-other', 1, Math.ceil(n / 4));
            await profileRound('bench-bare-wix', 1, Math.ceil(n / 4));
            for (let round = 0; round < rounds; round++) {
              const baseline = await baselineRound();
              const one = await profileRound('bench-bare-other', 0);
              const two = await profileRound('bench-bare-other', 1);
              const twoCallingWix = await profileRound('bench-bare-wix', 1);
              const subject = await subjectRound();
              perRound.push({ subject, baseline, otherQueue: one, twoOnOtherQueue: two, twoCallingWix });
              console.log(
                `  throughput round ${round + 1}: baseline ${baseline.toFixed(1)}/s, ` +
                  `1 activity on a 2nd queue ${one.toFixed(1)}/s, 2 there ${two.toFixed(1)}/s, ` +
                  `2 calling Wix ${twoCallingWix.toFixed(1)}/s, site-handoff ${subject.toFixed(1)}/s`,
              );
            }
          }),
        ),
      ),
    );
    const perSecond = median(perRound.map((r) => r.subject));
    const baselinePerSecond = median(perRound.map((r) => r.baseline));
    return {
      handoffsPerRound: n,
      rounds,
      perSecond,
      baselinePerSecond,
      ratio: perSecond / baselinePerSecond,
      perRound,
      profile: {
        oneActivityOnOtherQueue: median(perRound.map((r) => r.otherQueue)),
        twoActivitiesOnOtherQueue: median(perRound.map((r) => r.twoOnOtherQueue)),
        twoActivitiesCallingWix: median(perRound.map((r) => r.twoCallingWix)),
      },
    };
  } finally {
    await sim.close();
    await env.teardown();
  }
}
