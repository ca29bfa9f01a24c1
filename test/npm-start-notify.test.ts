// Issue 14's "done when", as an agency would try it: `npm start` with HANDOFF_NOTIFY_WEBHOOK_URL/_SECRET set, and an
// independent receiver (standardwebhooks verifies every request) that refuses its first delivery.
import { startService, type RunningService } from './support/service';
import { Receiver } from './notify-receiver';

const PORTS = { api: 21080, temporal: 21233, ui: 21234, wix: 21787 };
const TOKEN = 'notify-test-token';
const STAFF = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const SITES = ['3a1f0c9e-5b2d-4e8f-9a7c-1d3e5f7a9b0c', '6c4e2a0f-8d1b-4f3a-b5c7-9e0d2f4a6b8c'];
const MANAGER = 'am@pixel-agency.io';

let service: RunningService;
let receiver: Receiver;

beforeAll(async () => {
  // The very first request fails (503): the same webhook-id must come again within a minute.
  receiver = await Receiver.start({ secrets: [SECRET], behaviour: ({ n }) => (n === 0 ? 'fail' : 'ok') });
  service = await startService(PORTS, {
    HANDOFF_API_TOKEN: TOKEN,
    HANDOFF_NOTIFY_WEBHOOK_URL: receiver.url,
    HANDOFF_NOTIFY_WEBHOOK_SECRET: SECRET,
  });
}, 120_000);
afterAll(async () => {
  await service?.stop();
  await receiver?.close();
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${service.api}${path}`, { ...init, headers: { ...STAFF, ...(init.headers ?? {}) } });

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${service.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const eventsFor = (siteId: string) =>
  receiver
    .delivered()
    .filter((d) => d.event.data.siteId === siteId)
    .map((d) => d.event.type);

async function pendingHandoff(siteId: string, policy?: Record<string, unknown>) {
  const started = await fetch(`${service.api}/v1/events/project-completed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      projectId: `PRJ-${siteId.slice(0, 4)}`,
      siteId,
      customerEmails: [`owner-${siteId.slice(0, 4)}@customer.example`],
      role: 'Website Manager',
      ...(policy ? { policy } : {}),
    }),
  });
  expect(started.status).toBe(202);
  return until('the invite', async () => {
    const status = (await (await api(`/v1/handoffs/${siteId}`)).json()) as {
      state: string;
      invitees: { inviteId: string | null }[];
    };
    return status.state === 'pending' ? status : undefined;
  });
}

test('a receiver gets invited, escalated (escalateAfter 15s), accepted and revoked, signed; a refused first delivery is retried', async () => {
  const [escalating, revoked] = SITES;
  const first = await pendingHandoff(escalating, { escalateAfter: '15s', escalateTo: MANAGER });
  await pendingHandoff(revoked);

  // The first request of all was refused; the same webhook-id arrives again within a minute.
  await until('the retried first delivery', () =>
    receiver.requests.filter((r) => r.id === receiver.requests[0]?.id).length >= 2 ? true : undefined,
  );
  const attempts = receiver.requests.filter((r) => r.id === receiver.requests[0].id);
  expect(attempts.map((a) => a.answer)).toEqual(['fail', 'ok']);
  expect(attempts[1].receivedAt - attempts[0].receivedAt).toBeLessThan(60_000);

  await until('handoff.escalated', () =>
    eventsFor(escalating).includes('handoff.escalated') ? true : undefined,
  );
  const escalated = receiver.delivered().find((d) => d.event.type === 'handoff.escalated')!;
  expect(escalated.event.data).toMatchObject({
    cause: 'no_acceptance',
    escalateTo: MANAGER,
    state: 'pending',
  });
  const invitedAt = Date.parse(
    receiver.delivered().find((d) => d.event.type === 'handoff.invited')!.event.timestamp,
  );
  expect(Date.parse(escalated.event.timestamp) - invitedAt).toBeGreaterThanOrEqual(15_000);

  // The customer accepts in Wix; staff ask for a check instead of waiting for the 6-hour poll.
  await fetch(`${service.simulator}/invites/${first.invitees[0].inviteId}/accept`, { method: 'POST' });
  const check = await api(`/v1/handoffs/${escalating}/check-acceptance`, { method: 'POST', body: '{}' });
  expect([200, 409]).toContain(check.status); // 409 when Wix's hint got there first and it is already accepted
  await until('handoff.accepted', () =>
    eventsFor(escalating).includes('handoff.accepted') ? true : undefined,
  );

  const revoke = await api(`/v1/handoffs/${revoked}/revoke`, {
    method: 'POST',
    body: JSON.stringify({ reason: 'contract cancelled' }),
  });
  expect(revoke.status).toBe(202);
  await until('handoff.revoked', () => (eventsFor(revoked).includes('handoff.revoked') ? true : undefined));

  expect(eventsFor(escalating)).toEqual(
    expect.arrayContaining(['handoff.started', 'handoff.invited', 'handoff.escalated', 'handoff.accepted']),
  );
  expect(eventsFor(revoked)).toEqual(
    expect.arrayContaining(['handoff.started', 'handoff.invited', 'handoff.revoked']),
  );
  expect(receiver.requests.length).toBeGreaterThan(0);
  expect(receiver.requests.every((r) => r.verified)).toBe(true);
  // Each event acknowledged once, whatever the retries.
  expect([...receiver.acknowledged.values()].every((n) => n === 1)).toBe(true);
  // No secret or token in what the receiver got.
  const bodies = receiver.requests.map((r) => r.body).join('\n');
  expect(bodies).not.toContain(SECRET.slice(6));
  expect(bodies).not.toContain(TOKEN);
  expect(bodies).not.toContain('accept?token=');

  // The delivery log over the API: the refused attempt and its retry, the rest delivered.
  const log = (await (await api(`/v1/handoffs/${escalating}/deliveries`)).json()) as {
    deliveries: { deliveryId: string; type: string; delivered: boolean; attempts: number }[];
  };
  const types = log.deliveries.map((d) => d.type);
  expect(types).toEqual(expect.arrayContaining(['handoff.invited', 'handoff.escalated', 'handoff.accepted']));
  await until('every delivery logged as delivered', async () => {
    const now = (await (await api(`/v1/handoffs/${escalating}/deliveries`)).json()) as typeof log;
    return now.deliveries.every((d) => d.delivered) ? true : undefined;
  });
  const firstId = receiver.requests[0].id;
  const firstSite = (JSON.parse(receiver.requests[0].body) as { data: { siteId: string } }).data.siteId;
  const firstLog = (await (await api(`/v1/handoffs/${firstSite}/deliveries`)).json()) as typeof log;
  expect(firstLog.deliveries.find((d) => d.deliveryId === firstId)).toMatchObject({
    delivered: true,
    attempts: 2,
  });
});
