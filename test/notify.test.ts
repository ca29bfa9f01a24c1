// Notifications end to end on the time-skipping server: real handoffs, real receivers over HTTP verifying every
// request with the standardwebhooks library, the delivery log in the ledger and the API routes over it.
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { sql } from 'kysely';
import { buildApi } from '../src/api/server';
import { endpointHealth, notificationSource } from '../src/ledger';
import type { LedgerWrite } from '../src/ledger';
import {
  DEFAULT_ATTEMPTS_IN_FLIGHT,
  NOTIFICATION_TYPES,
  Notifier,
  notificationsFor,
  webhookId,
  type NotifyEndpoint,
} from '../src/notify';
import type { DeliveryInput, DeliveryRetry } from '../workflows/deliver-notification';
import { revokeSignal } from '../workflows/customer-handoff';
import type { HandoffStatus } from '../workflows/handoff-types';
import { startTimeSkippingEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';
import { Receiver } from './notify-receiver';
import { maybeRecordHistory } from './support/histories';

const OWNER = 'owner@customer.example';
const CONSOLE = 'http://127.0.0.1:8080';
const SECRET = `whsec_${Buffer.alloc(24, 11).toString('base64')}`;
const NEW_SECRET = `whsec_${Buffer.alloc(32, 12).toString('base64')}`;
/** Retries seconds apart instead of 5 s backing off to hours: the same schedule shape, in test time. */
const FAST_RETRY: DeliveryRetry = {
  initialInterval: '200 ms',
  backoffCoefficient: 2,
  maximumInterval: '1 second',
  giveUpAfter: '1 day',
};

let env: TestWorkflowEnvironment;
let h: Harness;
let receivers: Receiver[] = [];
/** Delivery workflow id → when it was first asked for (real ms), and its input. */
const started = new Map<string, { at: number; input: DeliveryInput }>();
const latencies: number[] = [];

beforeAll(async () => {
  env = await startTimeSkippingEnv();
  await workflowBundle();
});
afterAll(async () => {
  if (latencies.length) {
    const sorted = [...latencies].sort((a, b) => a - b);
    const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    console.log(
      `notify: ${sorted.length} deliveries, event recorded → first attempt: median ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${sorted.at(-1)} ms`,
    );
  }
  await env?.teardown();
});
beforeEach(async () => {
  h = await createHarness(env);
});
afterEach(async () => {
  // Deliveries still retrying would hold up the shared server's time skipping.
  for (const id of started.keys())
    await env.client.workflow
      .getHandle(id)
      .terminate('test finished')
      .catch(() => undefined);
  started.clear();
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  await h?.close();
});

async function receiver(options: Parameters<typeof Receiver.start>[0] = {}): Promise<Receiver> {
  const r = await Receiver.start(options);
  receivers.push(r);
  return r;
}

function notifier(endpoints: NotifyEndpoint[], timeoutMs = 1_000): Notifier {
  return new Notifier({
    client: env.client,
    taskQueue: h.taskQueue,
    config: { endpoints, consoleUrl: CONSOLE },
    db: h.ledger.db,
    retry: FAST_RETRY,
    timeoutMs,
    onStarted: (id, input) => {
      if (!started.has(id)) started.set(id, { at: Date.now(), input });
    },
  });
}

const webhook = (name: string, r: Receiver, secrets = [SECRET]): NotifyEndpoint => ({
  kind: 'webhook',
  name,
  url: r.url,
  secrets,
});

/** Records how long each delivery took from its ledger write to its first attempt at the receiver. */
function measure(r: Receiver): void {
  for (const [, { at, input }] of started) {
    const first = r.requests.find((q) => q.id === input.deliveryId);
    if (first) latencies.push(first.receivedAt - at);
  }
}

/** A handoff the customer accepts (found at the next acceptance check, time skipped). */
async function acceptedHandoff(): Promise<{ final: HandoffStatus; ms: number }> {
  const t0 = Date.now();
  const handle = await h.complete(projectEvent(h.siteId));
  const pending = await h.waitForStatus(handle, (s) => s.state === 'pending', 'the invite');
  h.sim.acceptInvite(pending.invitees[0].inviteId!);
  const final = await handle.result();
  return { final, ms: Date.now() - t0 };
}

let baseline: { events: string[]; ms: number } | undefined;

test('invited, accepted and revoked reach the receiver signed (Standard Webhooks), each acknowledged once', async () => {
  const r = await receiver({ secrets: [SECRET] });
  const n = notifier([webhook('default', r)]);
  const otherSite = h.sim.addSite({ ownerAccountId: h.accountId });
  await h.withWorker(
    async () => {
      const { final, ms } = await acceptedHandoff();
      expect(final.state).toBe('accepted');
      baseline = { events: final.audit.map((a) => a.event), ms };

      const revoked = await h.complete(projectEvent(otherSite));
      await h.waitForStatus(revoked, (s) => s.state === 'pending', 'the second invite');
      await revoked.signal(revokeSignal, { reason: 'contract cancelled', actor: 'staff:ana' });
      expect((await revoked.result()).state).toBe('revoked');
      await r.waitFor((x) => x.acknowledged.size === 6, 'six events');

      // The same writes again (a retried activity, a replay): the deliveries are joined or closed, none repeats.
      for (const siteId of [h.siteId, otherSite]) {
        const handoffId = `handoff-${siteId}`;
        const source = (await notificationSource(h.ledger.db, handoffId))!;
        const record = (await h.ledger.get(handoffId))!;
        const asked = await n.notifyWrite({
          handoffId,
          runId: record.runId,
          version: source.audit.length,
          status: source.status,
          startedAt: record.startedAt,
          endedAt: record.endedAt,
          audit: source.audit,
        });
        expect(asked).toBe(3);
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(r.requests).toHaveLength(6);
    },
    { notifier: n },
  );
  measure(r);

  expect(r.requests.every((q) => q.verified)).toBe(true);
  expect([...r.acknowledged.values()]).toEqual([1, 1, 1, 1, 1, 1]);
  const byHandoff = (siteId: string) =>
    r
      .delivered()
      .filter((d) => d.event.data.siteId === siteId)
      .sort((a, b) => a.event.timestamp.localeCompare(b.event.timestamp));
  expect(byHandoff(h.siteId).map((d) => d.event.type)).toEqual([
    'handoff.started',
    'handoff.invited',
    'handoff.accepted',
  ]);
  expect(byHandoff(otherSite).map((d) => d.event.type)).toEqual([
    'handoff.started',
    'handoff.invited',
    'handoff.revoked',
  ]);
  const [, invited, accepted] = byHandoff(h.siteId);
  expect(invited.event.data).toMatchObject({ email: OWNER, inviteId: expect.any(String), state: 'pending' });
  expect(accepted.event).toMatchObject({
    type: 'handoff.accepted',
    data: {
      handoffId: `handoff-${h.siteId}`,
      siteId: h.siteId,
      projectId: 'PRJ-1042',
      state: 'accepted',
      email: OWNER,
      detectedBy: 'contributors',
      consoleUrl: `${CONSOLE}/console/handoffs/handoff-${h.siteId}`,
    },
  });
  expect(byHandoff(otherSite)[2].event.data).toMatchObject({
    revokedBy: 'staff:ana',
    reason: 'contract cancelled',
  });
  // Nothing a receiver should not store: no keys, no secrets, no invite links.
  const bodies = r.requests.map((q) => q.body).join('\n');
  for (const secret of [SECRET, h.apiKey, 'acceptLink', 'inviteLink']) expect(bodies).not.toContain(secret);

  // The secret and the URL are never in history; the delivery log holds no address.
  const [someDelivery] = started.keys();
  const history = Buffer.from(
    temporal.api.history.v1.History.encode(
      await env.client.workflow.getHandle(someDelivery).fetchHistory(),
    ).finish(),
  );
  expect(history.includes(SECRET)).toBe(false);
  expect(history.includes(r.url)).toBe(false);
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from notification_attempts a where a::text ilike ${`%${OWNER}%`}`.execute(
    h.ledger.db,
  );
  expect(rows[0].n).toBe(0);
});

test('a receiver failing half its attempts and one timing out: all delivered once, same webhook-id, handoff unaffected', async () => {
  const flaky = await receiver({ secrets: [SECRET], behaviour: ({ n }) => (n % 2 === 0 ? 'fail' : 'ok') });
  const slow = await receiver({
    secrets: [SECRET],
    behaviour: ({ seenBefore }) => (seenBefore === 0 ? 'hang' : 'ok'),
  });
  const n = notifier([webhook('flaky', flaky), webhook('slow', slow)]);
  const { final, ms } = await h.withWorker(
    async () => {
      const result = await acceptedHandoff();
      await flaky.waitFor((x) => x.acknowledged.size === 3, 'three events at the flaky receiver');
      await slow.waitFor((x) => x.acknowledged.size === 3, 'three events at the slow receiver');
      return result;
    },
    { notifier: n },
  );
  measure(flaky);
  // A delivery whose first attempt timed out, for the replay test (RECORD_HISTORIES=<tag>).
  const [retriedId] = [...started].find(([, { input }]) => input.endpoint === 'slow') ?? [];
  if (retriedId) {
    const retried = env.client.workflow.getHandle(retriedId);
    await retried.result();
    await maybeRecordHistory(retried, 'delivered-after-timeout');
  }

  // The handoff did exactly what it does with no endpoint, and in about the same time.
  expect(final.state).toBe('accepted');
  if (baseline) {
    expect(final.audit.map((a) => a.event)).toEqual(baseline.events);
    expect(ms).toBeLessThan(baseline.ms + 3_000);
  }
  for (const r of [flaky, slow]) {
    expect(r.requests.every((q) => q.verified)).toBe(true);
    // Retries carried the same webhook-id and the same body; nothing was acknowledged twice.
    expect(new Set(r.requests.map((q) => q.id)).size).toBe(3);
    for (const id of r.acknowledged.keys()) {
      const bodies = new Set(r.requests.filter((q) => q.id === id).map((q) => q.body));
      expect(bodies.size).toBe(1);
    }
    expect([...r.acknowledged.values()]).toEqual([1, 1, 1]);
  }
  expect(flaky.requests.filter((q) => q.answer === 'fail').length).toBeGreaterThan(0);
  expect(slow.requests.filter((q) => q.answer === 'hang')).toHaveLength(3);

  // The log: every attempt, its status or error; the hung first attempts cut off at the timeout.
  const deliveries = (await n.deliveries(`handoff-${h.siteId}`))!;
  expect(deliveries).toHaveLength(6);
  expect(deliveries.every((d) => d.delivered)).toBe(true);
  for (const d of deliveries.filter((x) => x.endpoint === 'slow')) {
    expect(d.log[0]).toMatchObject({ delivered: false, statusCode: null, error: 'no answer within 1 s' });
    expect(d.log.at(-1)).toMatchObject({ delivered: true, statusCode: 200 });
  }
  const flakyAttempts = deliveries.filter((x) => x.endpoint === 'flaky').flatMap((d) => d.log);
  expect(
    flakyAttempts.filter((a) => !a.delivered).every((a) => a.statusCode === 503 && a.error === 'HTTP 503'),
  ).toBe(true);
  expect(flakyAttempts).toHaveLength(flaky.requests.length);
  // Endpoint health (for a failing-endpoint view): attempts, failures and the last success per endpoint.
  const health = (await endpointHealth(h.ledger.db, new Date(Date.now() - 3_600_000).toISOString())).filter(
    (e) => ['flaky', 'slow'].includes(e.endpoint),
  );
  expect(health).toEqual([
    expect.objectContaining({
      endpoint: 'flaky',
      attempts: flaky.requests.length,
      lastDeliveredAt: expect.any(String),
    }),
    expect.objectContaining({ endpoint: 'slow', attempts: slow.requests.length, failed: 3 }),
  ]);
});

test('rotation: both secrets sign, holders of either verify; Slack gets its message; the API shows and redelivers', async () => {
  // Each receiver holds only one of the two secrets, as receivers mid-rotation do.
  const oldHolder = await receiver({ secrets: [SECRET] });
  const newHolder = await receiver({ secrets: [NEW_SECRET] });
  const slack = await receiver();
  const n = notifier([
    webhook('old-holder', oldHolder, [SECRET, NEW_SECRET]),
    webhook('new-holder', newHolder, [SECRET, NEW_SECRET]),
    { kind: 'slack', name: 'slack', url: slack.url, events: ['handoff.accepted'] },
  ]);
  const api = buildApi({
    client: env.client,
    ledger: h.ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: [],
    apiTokens: ['alice:token-for-alice-0123456789'],
    notifier: n,
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  // Over real HTTP (Fastify's inject loads an ES module Jest cannot).
  const inject = async (o: { method: string; url: string; headers?: Record<string, string> }) => {
    const response = await fetch(`${base}${o.url}`, { method: o.method, headers: o.headers ?? {} });
    const text = await response.text();
    return { statusCode: response.status, json: <T = Record<string, unknown>>() => JSON.parse(text) as T };
  };
  const auth = { authorization: 'Bearer token-for-alice-0123456789' };
  const handoffId = `handoff-${h.siteId}`;
  try {
    await h.withWorker(
      async () => {
        await acceptedHandoff();
        for (const r of [oldHolder, newHolder])
          await r.waitFor((x) => x.acknowledged.size === 3, 'three events');
        await slack.waitFor((x) => x.acknowledged.size === 1, 'the Slack message');

        const listed = await inject({
          method: 'GET',
          url: `/v1/handoffs/${h.siteId}/deliveries`,
          headers: auth,
        });
        expect(listed.statusCode).toBe(200);
        const body = listed.json<{
          handoffId: string;
          endpoints: { name: string }[];
          deliveries: {
            deliveryId: string;
            endpoint: string;
            type: string;
            delivered: boolean;
            attempts: number;
            series: number;
          }[];
        }>();
        expect(body.handoffId).toBe(handoffId);
        expect(body.endpoints.map((e) => e.name)).toEqual(['old-holder', 'new-holder', 'slack']);
        expect(body.deliveries.map((d) => [d.type, d.endpoint, d.delivered])).toEqual([
          ['handoff.started', 'new-holder', true],
          ['handoff.started', 'old-holder', true],
          ['handoff.invited', 'new-holder', true],
          ['handoff.invited', 'old-holder', true],
          ['handoff.accepted', 'new-holder', true],
          ['handoff.accepted', 'old-holder', true],
          ['handoff.accepted', 'slack', true],
        ]);
        expect((await inject({ method: 'GET', url: `/v1/handoffs/${h.siteId}/deliveries` })).statusCode).toBe(
          401,
        );
        expect(
          (await inject({ method: 'GET', url: '/v1/handoffs/handoff-nobody/deliveries', headers: auth }))
            .statusCode,
        ).toBe(404);

        // Redelivery: a new attempt series, the same webhook-id.
        const accepted = body.deliveries.find(
          (d) => d.type === 'handoff.accepted' && d.endpoint === 'old-holder',
        )!;
        const again = await inject({
          method: 'POST',
          url: `/v1/handoffs/${handoffId}/deliveries/${accepted.deliveryId}/redeliver`,
          headers: auth,
        });
        expect(again.statusCode).toBe(202);
        expect(again.json()).toMatchObject({
          deliveryId: accepted.deliveryId,
          workflowId: expect.stringContaining('redeliver'),
        });
        await oldHolder.waitFor((x) => x.acknowledged.get(accepted.deliveryId) === 2, 'the redelivery');
        const copies = oldHolder.requests.filter((q) => q.id === accepted.deliveryId);
        expect(new Set(copies.map((q) => q.body)).size).toBe(1);
        const relisted = await inject({
          method: 'GET',
          url: `/v1/handoffs/${handoffId}/deliveries`,
          headers: auth,
        });
        expect(
          relisted
            .json<{
              deliveries: { deliveryId: string; endpoint: string; series: number; attempts: number }[];
            }>()
            .deliveries.find((d) => d.deliveryId === accepted.deliveryId && d.endpoint === 'old-holder'),
        ).toMatchObject({ series: 2, attempts: 2 });
        for (const [url, status] of [
          [`/v1/handoffs/${handoffId}/deliveries/msg_${'0'.repeat(32)}/redeliver`, 404],
          [`/v1/handoffs/${handoffId}/deliveries/not-an-id/redeliver`, 400],
        ] as const)
          expect((await inject({ method: 'POST', url, headers: auth })).statusCode).toBe(status);
      },
      { notifier: n },
    );
  } finally {
    await api.close();
  }
  measure(oldHolder);
  expect(oldHolder.requests.every((q) => q.verified)).toBe(true);
  expect(newHolder.requests.every((q) => q.verified)).toBe(true);
  expect(oldHolder.requests[0].signature.split(' ')).toHaveLength(2);

  // Slack: an incoming-webhook message, no signature headers, the console link.
  expect(slack.requests).toHaveLength(1);
  expect(slack.requests[0].headers['webhook-signature']).toBeUndefined();
  const message = JSON.parse(slack.requests[0].body) as { text: string; blocks: { type: string }[] };
  expect(message.text).toContain(`Accepted by ${OWNER}`);
  expect(message.text).toContain(`<${CONSOLE}/console/handoffs/${handoffId}|Open in the console>`);
  expect(message.blocks.map((b) => b.type)).toEqual(['section', 'context', 'actions']);
});

test('a hanging endpoint holds only its own slots: a healthy endpoint and a new handoff are not held up', async () => {
  const hanging = await receiver({ secrets: [SECRET], behaviour: () => 'hang' });
  const healthy = await receiver({ secrets: [SECRET] });
  // The hanging endpoint takes every event; the healthy one all but the flood's reminders.
  const n = notifier(
    [
      webhook('hanging', hanging),
      {
        ...webhook('healthy', healthy),
        events: NOTIFICATION_TYPES.filter((t) => t !== 'handoff.reminded'),
      },
    ],
    // Longer than the test: no hung attempt ends by itself, each holds its slot throughout.
    30_000,
  );
  const eventsOf = (siteId: string) =>
    healthy
      .delivered()
      .filter((d) => d.event.data.siteId === siteId)
      .map((d) => d.event.type)
      .sort();
  const secondSite = h.sim.addSite({ ownerAccountId: h.accountId });
  await h.withWorker(
    async () => {
      // A first handoff, before the flood: the status shape for the flood's writes, and a look at normal service.
      const first = await h.complete(projectEvent(h.siteId));
      await h.waitForStatus(first, (s) => s.state === 'pending', 'the first invite');
      await healthy.waitFor(() => eventsOf(h.siteId).length === 2, 'the first handoff’s events', 10_000);
      const sample = (await h.ledger.get(`handoff-${h.siteId}`))!;
      const { audit: _audit, handoffId: _id, runId, startedAt, endedAt: _end, ...status } = sample;

      // More deliveries to the hanging endpoint than the worker has activity slots (the SDK's default is 100).
      const flood: LedgerWrite[] = Array.from({ length: 120 }, (_, i) => ({
        handoffId: `handoff-flood-${i}`,
        runId,
        version: 1,
        status: { ...status, siteId: `site-flood-${i}` },
        startedAt,
        endedAt: null,
        audit: [
          {
            seq: 1,
            at: new Date().toISOString(),
            actor: 'site-handoff',
            event: 'reminder sent',
            detail: OWNER,
          },
        ],
      }));
      await Promise.all(flood.map((w) => n.notifyWrite(w)));
      await hanging.waitFor(
        (r) => r.open >= DEFAULT_ATTEMPTS_IN_FLIGHT,
        'the hanging endpoint’s slots held',
        10_000,
      );
      // Time for attempts past the cap to arrive, if anything let them through.
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const t0 = Date.now();
      const second = await h.complete(projectEvent(secondSite));
      await h.waitForStatus(second, (s) => s.state === 'pending', 'the second invite');
      // Its ledger writes (on the handoff task queue) and its events at the healthy endpoint, within seconds.
      const deadline = t0 + 5_000;
      while ((await h.ledger.get(`handoff-${secondSite}`))?.state !== 'pending') {
        if (Date.now() > deadline) throw new Error('the second handoff’s ledger writes were held up');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await healthy.waitFor(
        () => eventsOf(secondSite).length === 2,
        'the second handoff’s events at the healthy endpoint',
        Math.max(0, deadline - Date.now()),
      );
      const ms = Date.now() - t0;

      // All the while the hanging endpoint held its attempts open, never more than its cap.
      expect(hanging.open).toBe(DEFAULT_ATTEMPTS_IN_FLIGHT);
      expect(hanging.maxOpen).toBe(DEFAULT_ATTEMPTS_IN_FLIGHT);
      expect(eventsOf(secondSite)).toEqual(['handoff.invited', 'handoff.started']);
      expect(ms).toBeLessThan(5_000);
      // Cut the held requests so their attempts end before the worker stops (it waits for running activities).
      await hanging.close();
    },
    { notifier: n },
  );
  expect(healthy.requests.every((q) => q.verified)).toBe(true);
  expect([...healthy.acknowledged.values()].every((count) => count === 1)).toBe(true);
});

test('attempts left on the handoff task queue (deliveries begun before the endpoint queues) run 4 at a time', async () => {
  const hanging = await receiver({ behaviour: () => 'hang' });
  const legacy = notifier([webhook('hanging', hanging)], 30_000).legacyActivities();
  const handoffId = 'handoff-legacy';
  const [{ seq, event }] = notificationsFor(
    {
      handoffId,
      siteId: 'site-legacy',
      projectId: 'PRJ-1042',
      role: 'Admin (Co-Owner)',
      state: 'pending',
      failure: null,
      invitees: [],
    },
    [{ seq: 1, at: new Date().toISOString(), actor: 'site-handoff', event: 'reminder sent', detail: OWNER }],
    0,
    CONSOLE,
  );
  const input: DeliveryInput = {
    endpoint: 'hanging',
    deliveryId: webhookId('hanging', handoffId, seq),
    handoffId,
    seq,
    event,
  };
  const attempts = Array.from({ length: 5 }, () =>
    new MockActivityEnvironment().run(() => legacy.deliverWebhook(input)),
  );
  // The fifth is refused at once (the server retries it later), so it never holds a handoff worker's slot.
  await expect(attempts[4]).rejects.toMatchObject({ type: 'NotifyAttemptDeferred', nonRetryable: false });
  await hanging.waitFor((r) => r.open === 4, 'four attempts held open', 5_000);
  await hanging.close();
  const ended = await Promise.allSettled(attempts.slice(0, 4));
  expect(ended.map((e) => e.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
  expect(hanging.maxOpen).toBe(4);
});
