// Simulated customers in the Wix simulator (issue 15's benchmark model): an invitee accepts after the N-th email of
// their invite, made real lazily on the first call touching the site at or after acceptAt; the same seed, the same
// people.
import { WixClient } from '../src/wix/client/wix-client';
import { seededCustomers, stratifiedCustomers, type CustomerModel } from '../src/wix/simulator/customers';
import { SIMULATOR_ROLES, WixSimulator, type WixSimulatorOptions } from '../src/wix/simulator/wix-simulator';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.parse('2026-03-02T09:00:00.000Z');
const ADMIN = SIMULATOR_ROLES.adminCoOwner;

const opened: WixSimulator[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function world(customers: WixSimulatorOptions['customers']) {
  let now = START;
  const sim = await WixSimulator.start({ clock: () => now, rateLimitPerMinute: 0, customers });
  opened.push(sim);
  const accountId = sim.addAccount();
  const apiKey = sim.addApiKey({ accountId });
  const siteId = sim.addSite({ ownerAccountId: accountId });
  const wix = new WixClient({ baseUrl: sim.url, apiKey, accountId });
  const invite = async (email: string) => {
    const { invites } = await wix.bulkInvite(siteId, { policyIds: [ADMIN], emails: [email] });
    return invites[0].id!;
  };
  const contributors = () => wix.querySiteContributors(siteId, { policyIds: [ADMIN] });
  return { sim, wix, siteId, invite, contributors, setNow: (ms: number) => (now = ms) };
}

/** Everyone accepts 90 minutes after their `n`-th email. */
const actOn =
  (n: number | null, delayMs = 90 * MINUTE): CustomerModel =>
  () => ({ actOnEmail: n, delayMs });

test('an acceptance is made real lazily: nothing before acceptAt, the contributor at the first call after it', async () => {
  const w = await world(actOn(1));
  const inviteId = await w.invite('owner@customer.example');
  const [planned] = w.sim.customerAcceptances();
  expect(planned).toMatchObject({
    inviteId,
    siteId: w.siteId,
    emailNumber: 1,
    sentAt: START,
    acceptAt: START + 90 * MINUTE,
    outcome: 'planned',
  });

  w.setNow(START + 89 * MINUTE);
  expect(await w.contributors()).toHaveLength(0);
  expect(w.sim.customerAcceptances()[0].outcome).toBe('planned');

  // Long after acceptAt: the call sees the contributor, and the acceptance is dated acceptAt, not the call.
  w.setNow(START + 5 * HOUR);
  expect(await w.contributors()).toHaveLength(1);
  expect(w.sim.invites({ siteId: w.siteId })[0].status).toBe('Used');
  expect(w.sim.customerAcceptances()[0]).toMatchObject({
    outcome: 'accepted',
    acceptAt: START + 90 * MINUTE,
    materializedAt: START + 5 * HOUR,
  });
  // Wix calls name their site, so the benchmark can count them per handoff.
  expect(w.sim.calls().every((c) => c.siteId === w.siteId)).toBe(true);
});

test('the N-th email rule: Bulk Invite is the first, each Resend one more; only the planned one counts', async () => {
  const w = await world(actOn(3, 30 * MINUTE));
  const inviteId = await w.invite('late@customer.example');
  expect(w.sim.customerAcceptances()).toHaveLength(0);

  w.setNow(START + 2 * DAY);
  await w.wix.resendInvite(w.siteId, inviteId);
  expect(w.sim.customerAcceptances()).toHaveLength(0);
  w.setNow(START + 3 * DAY);
  expect(await w.contributors()).toHaveLength(0);

  w.setNow(START + 5 * DAY);
  await w.wix.resendInvite(w.siteId, inviteId);
  expect(w.sim.customerAcceptances()).toEqual([
    expect.objectContaining({
      emailNumber: 3,
      sentAt: START + 5 * DAY,
      acceptAt: START + 5 * DAY + 30 * MINUTE,
    }),
  ]);
  w.setNow(START + 5 * DAY + 29 * MINUTE);
  expect(await w.contributors()).toHaveLength(0);
  w.setNow(START + 5 * DAY + 31 * MINUTE);
  expect(await w.contributors()).toHaveLength(1);

  // Someone who never acts stays pending whatever is sent.
  const never = await world(actOn(null));
  const id = await never.invite('never@customer.example');
  never.setNow(START + 2 * DAY);
  await never.wix.resendInvite(never.siteId, id);
  never.setNow(START + 20 * DAY);
  expect(await never.contributors()).toHaveLength(0);
  expect(never.sim.customerAcceptances()).toHaveLength(0);
});

test('a customer who comes back after the invite expired or was revoked does not accept', async () => {
  const w = await world(actOn(1, 31 * DAY));
  await w.invite('slow@customer.example');
  w.setNow(START + 32 * DAY);
  expect(await w.contributors()).toHaveLength(0);
  expect(w.sim.customerAcceptances()[0]).toMatchObject({ outcome: 'missed' });
  expect(w.sim.customerAcceptances()[0].reason).toMatch(/Expired/);

  const r = await world(actOn(1, 2 * HOUR));
  const inviteId = await r.invite('revoked@customer.example');
  r.setNow(START + HOUR);
  await r.wix.revokeInvite(r.siteId, inviteId);
  r.setNow(START + 3 * HOUR);
  expect(await r.contributors()).toHaveLength(0);
  expect(r.sim.customerAcceptances()[0]).toMatchObject({ outcome: 'missed' });
});

test('the seeded model: same seed, same plans; the shares and the delay distribution of issue 15', () => {
  const emails = Array.from({ length: 4000 }, (_, i) => `customer-${i}@bench.example`);
  const a = seededCustomers({ seed: 15 });
  const b = seededCustomers({ seed: 15 });
  const other = seededCustomers({ seed: 16 });
  const plans = emails.map(a);
  // Pure in (seed, address): asked in another order, by another instance, the same plans.
  expect([...emails].reverse().map(b).reverse()).toEqual(plans);
  expect(a('Customer-7@Bench.Example ')).toEqual(plans[7]);
  expect(emails.map(other)).not.toEqual(plans);

  const share = (p: (n: number | null) => boolean) =>
    plans.filter((x) => p(x.actOnEmail)).length / plans.length;
  expect(share((n) => n === 1)).toBeCloseTo(0.6, 1);
  expect(share((n) => n !== null && n >= 2 && n <= 5)).toBeCloseTo(0.25, 1);
  expect(share((n) => n === null)).toBeCloseTo(0.15, 1);
  expect(plans.every((x) => x.actOnEmail === null || (x.actOnEmail >= 1 && x.actOnEmail <= 5))).toBe(true);

  const delays = plans.map((x) => x.delayMs).sort((x, y) => x - y);
  const quantile = (q: number) => delays[Math.floor(q * (delays.length - 1))];
  expect(quantile(0.5) / MINUTE).toBeGreaterThan(40);
  expect(quantile(0.5) / MINUTE).toBeLessThan(50);
  expect(quantile(0.9) / HOUR).toBeGreaterThan(10);
  expect(quantile(0.9) / HOUR).toBeLessThan(14);
});

test('the same people in two simulators: a seeded model gives each address the same acceptAt offset', async () => {
  const model = seededCustomers({ seed: 42, firstEmail: 1, afterReminder: 0 });
  const first = await world(model);
  const second = await world(model);
  for (const email of ['ana@a.example', 'ben@b.example', 'cy@c.example']) {
    await first.invite(email);
    await second.invite(email);
  }
  const offsets = (w: typeof first) =>
    w.sim.customerAcceptances().map((x) => [x.email, x.acceptAt - x.sentAt]);
  expect(offsets(second)).toEqual(offsets(first));
  expect(offsets(first).map(([, ms]) => ms)).toEqual(
    ['ana@a.example', 'ben@b.example', 'cy@c.example'].map((e) => model(e).delayMs),
  );
});

test('the stratified model: the shares exact over the people measured, each person keeping their own delay', () => {
  const people = Array.from({ length: 500 }, (_, i) => `customer-${i}@bench.example`);
  const model = stratifiedCustomers({ seed: 15, people });
  const plans = people.map(model);
  expect(plans.filter((p) => p.actOnEmail === 1)).toHaveLength(300);
  expect(plans.filter((p) => p.actOnEmail !== null && p.actOnEmail > 1)).toHaveLength(125);
  expect(plans.filter((p) => p.actOnEmail === null)).toHaveLength(75);
  // Same seed and people (in any order), same plans; the delays are the seeded model's.
  expect(people.map(stratifiedCustomers({ seed: 15, people: [...people].reverse() }))).toEqual(plans);
  expect(plans.map((p) => p.delayMs)).toEqual(people.map((e) => seededCustomers({ seed: 15 })(e).delayMs));
  expect(people.map(stratifiedCustomers({ seed: 16, people }))).not.toEqual(plans);
});
