// 40 handoffs on the dev server while the Wix simulator fails 30% of calls at random, under a shared rate limit.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { completeProject } from '../../src/handoff-client';
import { HandoffWorkers } from '../../src/handoff-worker';
import { WixClient } from '../../src/wix/client/wix-client';
import { WixSimulator } from '../../src/wix/simulator/wix-simulator';
import { customerHandoff, statusQuery } from '../../workflows/customer-handoff';
import { FINAL_STATES, type HandoffStatus } from '../../workflows/handoff-types';
import { createHarness, projectEvent, type Harness } from '../support/handoff-harness';
import { TEST_DATA_CONVERTER, startDevServerEnv, workflowBundle } from '../support/temporal';
import { testLedger } from '../support/ledger';
import { peakInWindow, tally } from './window-peak';

const N = 40;
const CALLS_PER_MINUTE = 120;
const SEED = 20_240_611;
// Faults stop after this, so a handoff still waiting out Wix's 60 s retry advice can finish before the deadline.
const FAULT_WINDOW_MS = 90_000;
const SETTLE_DEADLINE_MS = 165_000;
const POLICY = { reminders: ['3s', '6s'], acceptancePoll: '2s', maxRenewals: 0 };

let env: TestWorkflowEnvironment;
let h: Harness | undefined;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
}, 120_000);
afterAll(async () => {
  await h?.close();
  await env?.teardown();
});

/** Settled = nothing left for the workflow to do alone: a final state, or failed waiting for staff on an unknown invite. */
function settled(s: HandoffStatus): boolean {
  if (FINAL_STATES.includes(s.state)) return true;
  return s.state === 'failed' && s.invitees.length > 0 && s.invitees.every((i) => i.status === 'unconfirmed');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`${N} handoffs survive 30% random Wix faults without a second invite, within ${CALLS_PER_MINUTE} calls/min`, async () => {
  const harness = await createHarness(env, { rateLimitPerMinute: CALLS_PER_MINUTE });
  h = harness;
  const { sim } = harness;
  const siteIds = [harness.siteId];
  while (siteIds.length < N) siteIds.push(sim.addSite({ ownerAccountId: harness.accountId }));
  const emailOf = (n: number) => `customer-${n}@reliability.example`;

  // The harness's own worker has no Wix rate limit, so this test runs the production pair with one.
  const workers = await HandoffWorkers.create({
    connection: env.nativeConnection,
    taskQueue: harness.taskQueue,
    wix: harness.wix,
    ledger: await testLedger(),
    wixCallsPerMinute: CALLS_PER_MINUTE,
    workflowBundle: await workflowBundle(),
    dataConverter: TEST_DATA_CONVERTER,
    tuning: { shutdownGraceTime: '1 second' },
  });

  const startedAt = Date.now();
  sim.setRandomFaults({
    probability: 0.3,
    statuses: [429, 500, 503],
    hangProbability: 0.2,
    hang: 'after-processing',
    slowMs: [50, 400],
    seed: SEED,
  });

  const outcome = await workers.runUntil(async () => {
    const handles: WorkflowHandle<typeof customerHandoff>[] = [];
    for (const [n, siteId] of siteIds.entries()) {
      const payload = projectEvent(siteId, { customerEmails: [emailOf(n)], policy: POLICY });
      const { workflowId } = await completeProject(env.client, payload, { taskQueue: harness.taskQueue });
      handles.push(env.client.workflow.getHandle<typeof customerHandoff>(workflowId));
    }

    // The customer accepts some seconds after the invite arrives, at a different moment for each site.
    const acceptAt = new Map<string, number>();
    const accepted = new Set<string>();
    const latest = new Map<string, HandoffStatus>();
    const deadline = startedAt + SETTLE_DEADLINE_MS;
    let faultsEndedAt: number | undefined;
    while (Date.now() < deadline) {
      if (faultsEndedAt === undefined && Date.now() - startedAt >= FAULT_WINDOW_MS) {
        sim.setRandomFaults(null);
        faultsEndedAt = Date.now();
      }
      for (const [n, siteId] of siteIds.entries()) {
        for (const invite of sim.invites({ siteId })) {
          if (!invite.id || invite.status !== 'Pending' || accepted.has(invite.id)) continue;
          const due = acceptAt.get(invite.id) ?? Date.now() + 500 + ((n * 737) % 6_000);
          acceptAt.set(invite.id, due);
          if (Date.now() >= due) {
            sim.acceptInvite(invite.id);
            accepted.add(invite.id);
          }
        }
      }
      const statuses = await Promise.all(handles.map((handle) => handle.query(statusQuery)));
      statuses.forEach((s, n) => latest.set(siteIds[n], s));
      if (statuses.every(settled)) break;
      await sleep(500);
    }
    return { latest, accepted, faultsEndedAt, settledAt: Date.now() };
  });
  sim.setRandomFaults(null);
  const wallMs = Date.now() - startedAt;

  const { latest, accepted, faultsEndedAt, settledAt } = outcome;
  const calls = sim.calls();
  const faults = tally(calls.flatMap((c) => (c.fault ? [c.fault] : [])));
  const states = tally([...latest.values()].map((s) => s.state));
  const runMs = calls.length ? calls[calls.length - 1].at - calls[0].at : 0;
  // Under a minute of traffic a 60 s window proves nothing, so a 10 s window is held to its share of the limit.
  const windowMs = runMs >= 60_000 ? 60_000 : 10_000;
  const limit = (CALLS_PER_MINUTE * windowMs) / 60_000;
  const peak = peakInWindow(
    calls.map((c) => c.at),
    windowMs,
  );
  const peak10s = peakInWindow(
    calls.map((c) => c.at),
    10_000,
  );

  const problems: string[] = [];
  const inviteEmails: Record<string, number> = {};
  for (const [n, siteId] of siteIds.entries()) {
    const email = emailOf(n);
    const status = latest.get(siteId);
    const invites = sim.outbox().filter((m) => m.to === email && m.kind === 'invite').length;
    inviteEmails[invites] = (inviteEmails[invites] ?? 0) + 1;
    if (!status) {
      problems.push(`${siteId}: never answered a status query`);
      continue;
    }
    if (!settled(status)) {
      const trail = status.audit.slice(-8).map((e) => `${e.at.slice(11, 23)} ${e.event} ${e.detail ?? ''}`);
      problems.push(
        `${siteId}: stuck in ${status.state} (${JSON.stringify(status.invitees)})\n    ${trail.join('\n    ')}`,
      );
    }
    const unconfirmed = status.invitees.some((i) => i.status === 'unconfirmed');
    // A 500 answered before processing sends nothing, so an unconfirmed invitee may have no email at all.
    if (invites > 1 || (invites === 0 && !unconfirmed)) {
      problems.push(`${email}: ${invites} invite emails (state ${status.state})`);
    }
    const known = new Set(status.invitees.map((i) => i.inviteId).filter((id): id is string => id !== null));
    for (const invite of sim.invites({ siteId })) {
      // An invite whose Bulk Invite answer was lost has no id in the handoff: flagged unconfirmed, or accepted
      // later through the Contributors API (the invitee then shows accepted with no invite id).
      const idNeverKnown = status.invitees.some(
        (i) => i.inviteId === null && (i.status === 'unconfirmed' || i.status === 'accepted'),
      );
      if (invite.id && !known.has(invite.id) && !idNeverKnown) {
        problems.push(`${siteId}: Wix invite ${invite.id} is missing from the handoff's status`);
      }
    }
  }
  if (peak > limit) problems.push(`peak ${peak} Wix calls in ${windowMs / 1000} s > limit ${limit}`);

  console.log(
    `wix-faults: N=${N} wall=${(wallMs / 1000).toFixed(1)}s seed=${SEED} wixCalls=${calls.length} ` +
      `faultsFor=${faultsEndedAt === undefined ? 'whole run' : `${((faultsEndedAt - startedAt) / 1000).toFixed(1)}s`} ` +
      `settledAfter=${((settledAt - startedAt) / 1000).toFixed(1)}s ` +
      `faults=${JSON.stringify(faults)} states=${JSON.stringify(states)} ` +
      `inviteEmailsPerAddress=${JSON.stringify(inviteEmails)} accepted=${accepted.size} ` +
      `peak=${peak} calls/${windowMs / 1000}s (limit ${limit}) peak10s=${peak10s} ` +
      `traffic=${(runMs / 1000).toFixed(1)}s\n` +
      (problems.length ? `problems:\n  ${problems.join('\n  ')}` : 'no problems'),
  );
  expect(problems).toEqual([]);
  // The scenario must actually have hurt: otherwise a pass says nothing.
  expect(Object.keys(faults).length).toBeGreaterThanOrEqual(3);
}, 240_000);

test('random faults are seeded, recorded in calls() and never touch /_simulator/ routes', async () => {
  const statusesFor = async (
    seed: number,
  ): Promise<{ statuses: number[]; faults: (string | undefined)[] }> => {
    const sim = await WixSimulator.start({ rateLimitPerMinute: 0 });
    try {
      const accountId = sim.addAccount();
      const apiKey = sim.addApiKey({ accountId });
      const wix = new WixClient({ baseUrl: sim.url, apiKey, accountId, timeoutMs: 2_000 });
      sim.setRandomFaults({ probability: 0.5, statuses: [429, 500, 503], seed, routes: ['roles'] });
      for (let n = 0; n < 30; n++) {
        await wix.getRolesInfo().catch(() => undefined);
        const control = await fetch(`${sim.url}/_simulator/outbox`);
        expect(control.status).toBe(200);
      }
      const calls = sim.calls();
      return { statuses: calls.map((c) => c.status), faults: calls.map((c) => c.fault) };
    } finally {
      await sim.close();
    }
  };
  const first = await statusesFor(7);
  expect(await statusesFor(7)).toEqual(first);
  expect((await statusesFor(8)).statuses).not.toEqual(first.statuses);
  // Only Wix calls are logged, and every logged fault is a random one with the status it caused.
  expect(first.statuses).toHaveLength(30);
  const faulted = first.faults.filter((f) => f !== undefined);
  expect(faulted.length).toBeGreaterThan(5);
  first.faults.forEach((f, n) => {
    if (f) expect(f).toBe(`random ${first.statuses[n]}`);
    else expect(first.statuses[n]).toBe(200);
  });
  const sim = await WixSimulator.start();
  try {
    expect(() => sim.setRandomFaults({ probability: 1.5 })).toThrow(/probability/);
    expect(() => sim.setRandomFaults({ probability: 0.3, slowMs: [400, 50] })).toThrow(/slowMs/);
  } finally {
    await sim.close();
  }
});
