// Throughput: handoffs driven from signal-with-start to `pending` (the invite reached the simulator) per second,
// against a bare workflow taking the same signal and running one no-op activity. Both counted at their side effect.
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import { completeProject } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import { bareHandoff, bareOnOtherQueue, startSignal } from './baseline-workflows';
import {
  baselineBundle,
  benchLedger,
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
  perRound: Record<Arm, number>[];
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

/** The measured arms: the baseline, the profile's three reshaped bare workflows, site-handoff. */
type Arm = 'baseline' | 'oneOnOtherQueue' | 'twoOnOtherQueue' | 'twoCallingWix' | 'subject';

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
      ledger: await benchLedger(),
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

    // Each profile arm on its own workflow worker, as the bare and handoff arms are, so no worker's cache holds
    // more than its own arm's parked workflows.
    const PROFILE_ARMS = {
      oneOnOtherQueue: { workflows: 'bench-profile-one', activities: 'bench-bare-other', before: 0 },
      twoOnOtherQueue: { workflows: 'bench-profile-two', activities: 'bench-bare-other', before: 1 },
      twoCallingWix: { workflows: 'bench-profile-wix', activities: 'bench-bare-wix', before: 1 },
    } as const;
    type ProfileArm = keyof typeof PROFILE_ARMS & Arm;
    const profileWorkers = await Promise.all(
      Object.values(PROFILE_ARMS).map(async ({ workflows }) =>
        Worker.create({
          connection: env.nativeConnection,
          taskQueue: workflows,
          workflowBundle: await baselineBundle(),
        }),
      ),
    );

    let profileRun = 0;
    /** The bare workflow with `before` + 1 activities on the arm's queue; counted when the last one ran. */
    async function profileRound(arm: ProfileArm, count = n): Promise<number> {
      const { workflows, activities, before } = PROFILE_ARMS[arm];
      const callsWix = activities === 'bench-bare-wix';
      profileRun++;
      const sites = callsWix
        ? Array.from({ length: count }, () => sim.addSite({ ownerAccountId: accountId }))
        : Array.from({ length: count }, (_, i) => String(i));
      const arrived = () => (callsWix ? sim.outbox().length : arrivals);
      const start = arrived();
      const t0 = performance.now();
      await inBatches(sites, STARTERS, async (siteId) => {
        await env.client.workflow.signalWithStart(bareOnOtherQueue, {
          workflowId: `profile-${profileRun}_${siteId}`,
          taskQueue: workflows,
          args: [activities, before],
          signal: startSignal,
          signalArgs: [{}],
        });
      });
      await until(() => arrived() - start >= count, 'the profile activities');
      return count / ((performance.now() - t0) / 1000);
    }

    const ARMS: Arm[] = ['baseline', 'oneOnOtherQueue', 'twoOnOtherQueue', 'twoCallingWix', 'subject'];
    const runArm = (arm: Arm, count = n): Promise<number> =>
      arm === 'baseline'
        ? baselineRound(count)
        : arm === 'subject'
          ? subjectRound(count)
          : profileRound(arm, count);

    const perRound: ThroughputResult['perRound'] = [];
    const workers = [handoff, bare, otherQueue, callingWix, ...profileWorkers];
    const runAll = workers.reduceRight<() => Promise<void>>(
      (inner, worker) => () => worker.runUntil(inner),
      async () => {
        // A short warm-up on every side, so none pays for first-use compilation in round 1.
        for (const arm of ARMS) await runArm(arm, Math.ceil(n / 4));
        for (let round = 0; round < rounds; round++) {
          // The order rotates each round: the server slows as open workflows pile up, so no arm always goes last.
          const measured = {} as Record<Arm, number>;
          for (let i = 0; i < ARMS.length; i++) {
            const arm = ARMS[(i + round) % ARMS.length];
            measured[arm] = await runArm(arm);
          }
          perRound.push(measured);
          console.log(
            `  throughput round ${round + 1}: baseline ${measured.baseline.toFixed(1)}/s, ` +
              `1 activity on a 2nd queue ${measured.oneOnOtherQueue.toFixed(1)}/s, ` +
              `2 there ${measured.twoOnOtherQueue.toFixed(1)}/s, ` +
              `2 calling Wix ${measured.twoCallingWix.toFixed(1)}/s, site-handoff ${measured.subject.toFixed(1)}/s`,
          );
        }
      },
    );
    await runAll();
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
        oneActivityOnOtherQueue: median(perRound.map((r) => r.oneOnOtherQueue)),
        twoActivitiesOnOtherQueue: median(perRound.map((r) => r.twoOnOtherQueue)),
        twoActivitiesCallingWix: median(perRound.map((r) => r.twoCallingWix)),
      },
    };
  } finally {
    await sim.close();
    await env.teardown();
  }
}
