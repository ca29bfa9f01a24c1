// The HTTP API end to end: Temporal's dev server (pinned binary), real workers, the Wix simulator over HTTP.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildApi } from '../src/api/server';
import { signWebhook } from '../src/api/webhook-signature';
import { createMetrics } from '../src/metrics';
import type { HandoffStatus } from '../workflows/handoff-types';
import { TEST_DATA_CONVERTER, startDevServerEnv, workflowBundle } from './support/temporal';
import { defaultPayloadConverter } from '@temporalio/common';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';

const OWNER = 'owner@customer.example';
const PARTNER = 'partner@customer.example';
const FAST = { acceptancePoll: '1s', reminders: ['1 hour'] };

let env: TestWorkflowEnvironment;
let h: Harness;
let api: FastifyInstance | undefined;
let base: string;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
}, 120_000);
afterAll(() => env?.teardown());
afterEach(async () => {
  await api?.close();
  api = undefined;
  await h?.close();
});

async function startApi(options: { webhookSecrets?: string[]; apiTokens?: string[] } = {}): Promise<void> {
  h = await createHarness(env);
  api = buildApi({
    client: env.client,
    ledger: h.ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: options.webhookSecrets ?? [],
    apiTokens: options.apiTokens ?? [],
    metrics: createMetrics(),
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
}

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function until(
  path: string,
  check: (s: HandoffStatus) => boolean,
  what: string,
): Promise<HandoffStatus> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const { status, json } = await call('GET', path);
    last = json;
    if (status === 200 && check(json as unknown as HandoffStatus)) return json as unknown as HandoffStatus;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}: ${JSON.stringify(last)}`);
}

const handoffExists = (siteId: string) =>
  env.client.workflow
    .getHandle(`handoff-${siteId}`)
    .describe()
    .then(
      () => true,
      () => false,
    );

test('project completed → invite → the customer accepts in the simulator → accepted', async () => {
  await startApi();
  await h.withWorker(async () => {
    const started = await call(
      'POST',
      '/v1/events/project-completed',
      projectEvent(h.siteId, { policy: FAST }),
    );
    expect(started.status).toBe(202);
    expect(started.json.handoffId).toBe(`handoff-${h.siteId}`);
    const path = started.json.status as string;
    const pending = await until(path, (s) => s.state === 'pending', 'the invite');

    // The customer clicks the link: the simulator's own control route, over HTTP.
    const accept = await fetch(`${h.sim.url}/_simulator/invites/${pending.invitees[0].inviteId}/accept`, {
      method: 'POST',
    });
    expect(accept.status).toBe(200);
    const accepted = await until(path, (s) => s.state === 'accepted', 'the acceptance');
    expect(accepted.invitees[0]).toMatchObject({ email: OWNER, status: 'accepted' });

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/handoff_handoffs\{state="accepted"\} [1-9]/);
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
});

test('revoke and resend through the API; a revoke after acceptance answers 409 with the reason', async () => {
  await startApi();
  await h.withWorker(async () => {
    const path = `/v1/handoffs/${h.siteId}`;
    await call(
      'POST',
      '/v1/events/project-completed',
      projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }),
    );
    await until(path, (s) => s.state === 'pending', 'the invites');

    const resend = await call('POST', `${path}/resend`, { email: PARTNER, actor: 'staff:ana' });
    expect(resend.status).toBe(202);
    await until(path, (s) => s.invitees[1].remindersSent === 1, 'the resend');
    expect(h.sim.emailCount(PARTNER)).toBe(2);
    expect(h.sim.emailCount(OWNER)).toBe(1);

    await env.client.workflow
      .getHandle(`handoff-${h.siteId}`)
      .signal('accepted', { email: OWNER, actor: 'staff:ana' });
    await until(path, (s) => s.invitees[0].status === 'accepted', 'the acceptance');
    const refused = await call('POST', `${path}/revoke`, { reason: 'contract cancelled' });
    expect(refused.status).toBe(409);
    expect(refused.json.reason).toMatch(/already accepted by owner@customer\.example/);
    expect(h.sim.calls().filter((c) => c.path.endsWith('/revoke'))).toHaveLength(0);
  });
});

test('revoke while pending: 202, every pending invite revoked; the ended handoff then answers 409', async () => {
  await startApi();
  await h.withWorker(async () => {
    const path = `/v1/handoffs/handoff-${h.siteId}`;
    await call(
      'POST',
      '/v1/events/project-completed',
      projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }),
    );
    await until(path, (s) => s.state === 'pending', 'the invites');
    const revoke = await call('POST', `${path}/revoke`, { reason: 'contract cancelled', actor: 'staff:bo' });
    expect(revoke.status).toBe(202);
    await until(path, (s) => s.state === 'revoked', 'the revoke');
    expect(h.sim.invites({ siteId: h.siteId }).map((i) => i.status)).toEqual(['Deleted', 'Deleted']);
    const again = await call('POST', `${path}/revoke`, { reason: 'again' });
    expect(again.status).toBe(409);
    expect(again.json.reason).toMatch(/ended as revoked/);
  });
});

test('revokes racing the end of the handoff: one is applied, the others refused with 409, none lost as 404', async () => {
  await startApi();
  await h.withWorker(async () => {
    const path = `/v1/handoffs/handoff-${h.siteId}`;
    await call('POST', '/v1/events/project-completed', projectEvent(h.siteId, { customerEmails: [OWNER] }));
    await until(path, (s) => s.state === 'pending', 'the invite');
    // Sent together, later ones reach a handoff that is revoking or has just closed.
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call('POST', `${path}/revoke`, { reason: `try ${i}`, actor: 'staff:bo' }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    await until(path, (s) => s.state === 'revoked', 'the revoke');
    expect(h.sim.calls().filter((c) => c.path.endsWith('/revoke'))).toHaveLength(1);
    const late = await call('POST', `${path}/revoke`, { reason: 'late' });
    expect(late.status).toBe(409);
    expect(late.json.reason).toMatch(/ended as revoked/);
  });
});

test.each([
  ['a bad email', { customerEmails: ['not-an-email'] }, /customerEmails\[0\]/],
  ['no customers', { customerEmails: [] }, /at least one customer/],
  ['a site id that is not a GUID', { siteId: 'my-site' }, /siteId must be the Wix site id/],
  ['a missing role', { role: undefined }, /role/],
  ['a wrongly typed project id', { projectId: 42 }, /projectId/],
  ['an unknown field', { customerEmail: 'x@y.z' }, /unknown field.*customerEmail/],
  ['a bad reminder', { policy: { reminders: ['soon'] } }, /policy\.reminders\[0\]/],
  ['an injection-looking role', { role: "Admin'); DROP TABLE x;--\u0000" }, /control characters/],
])('%s is refused with 400 naming the problem, and nothing starts', async (_name, override, message) => {
  await startApi();
  const body = { ...projectEvent(h.siteId), ...override };
  const answer = await call('POST', '/v1/events/project-completed', body);
  expect(answer.status).toBe(400);
  expect((answer.json.problems as string[]).join('\n')).toMatch(message);
  expect(await handoffExists(h.siteId)).toBe(false);
});

test('malformed JSON, an oversized body and unknown routes get clear 4xx answers', async () => {
  await startApi();
  const malformed = await call('POST', '/v1/events/project-completed', '{"projectId": ');
  expect(malformed.status).toBe(400);
  expect(malformed.json.error).toMatch(/not valid JSON/);
  const huge = await call('POST', '/v1/events/project-completed', {
    ...projectEvent(h.siteId),
    pad: 'x'.repeat(70_000),
  });
  expect(huge.status).toBe(413);
  expect((await call('GET', '/v1/nothing')).status).toBe(404);
  expect((await call('GET', `/v1/handoffs/${h.siteId}`)).status).toBe(404);
  expect(await handoffExists(h.siteId)).toBe(false);
});

test('with a webhook secret: unsigned, stale, forged and replayed events are refused, a signed one starts the handoff', async () => {
  const secret = 'whsec-test-0123456789';
  await startApi({ webhookSecrets: [secret] });
  const raw = JSON.stringify(projectEvent(h.siteId));
  const post = (headers: Record<string, string>) =>
    call('POST', '/v1/events/project-completed', raw, headers);

  expect((await post({})).status).toBe(401);
  const stale = await post({
    'x-handoff-signature': signWebhook(secret, raw, Math.floor(Date.now() / 1000) - 3600),
  });
  expect(stale.status).toBe(401);
  expect(stale.json.error).toMatch(/window/);
  expect((await post({ 'x-handoff-signature': signWebhook('wrong-secret', raw) })).status).toBe(401);
  expect(await handoffExists(h.siteId)).toBe(false);

  const signature = signWebhook(secret, raw);
  const signed = await post({ 'x-handoff-signature': signature });
  expect(signed.status).toBe(202);
  const replayed = await post({ 'x-handoff-signature': signature });
  expect(replayed.status).toBe(401);
  expect(replayed.json.error).toMatch(/replay/);
  expect(await handoffExists(h.siteId)).toBe(true);
  expect(JSON.stringify(signed.json)).not.toContain(secret);
});

test('with an API token, staff routes refuse requests without it', async () => {
  await startApi({ apiTokens: ['staff-token-1'] });
  await h.withWorker(async () => {
    await call('POST', '/v1/events/project-completed', projectEvent(h.siteId));
    const path = `/v1/handoffs/${h.siteId}`;
    expect((await call('GET', path)).status).toBe(401);
    expect((await call('GET', path, undefined, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await call('POST', `${path}/revoke`, { reason: 'x' })).status).toBe(401);
    const deadline = Date.now() + 20_000;
    let answer = { status: 0, json: {} as Record<string, unknown> };
    while (!(answer.status === 200 && answer.json.state === 'pending') && Date.now() < deadline) {
      answer = await call('GET', path, undefined, { authorization: 'Bearer staff-token-1' });
    }
    expect(answer).toMatchObject({ status: 200, json: { state: 'pending' } });
  });
  expect(h.sim.invites({ siteId: h.siteId })[0].status).toBe('Pending');
});

test('the worker restarted mid-flight loses nothing: an event taken while no worker runs is served after', async () => {
  await startApi();
  const path = `/v1/handoffs/${h.siteId}`;
  await h.withWorker(
    async () => {
      await call('POST', '/v1/events/project-completed', projectEvent(h.siteId));
      await until(path, (s) => s.state === 'pending', 'the first invite');
    },
    { stopsMidway: true },
  );
  // No worker: the signal waits in Temporal, not in any process's memory.
  const added = await call(
    'POST',
    '/v1/events/project-completed',
    projectEvent(h.siteId, { customerEmails: [OWNER, PARTNER] }),
  );
  expect(added.status).toBe(202);
  await h.withWorker(async () => {
    const status = await until(
      path,
      (s) => s.invitees.length === 2 && s.invitees[1].status === 'pending',
      'the second invite',
    );
    expect(status.invitees.map((i) => i.email)).toEqual([OWNER, PARTNER]);
  });
  expect(h.sim.emailCount(OWNER)).toBe(1);
  expect(h.sim.emailCount(PARTNER)).toBe(1);
});

test('the codec endpoint decodes payloads for the Temporal Web UI, for staff and allowed origins only', async () => {
  h = await createHarness(env);
  const codec = TEST_DATA_CONVERTER.payloadCodecs![0];
  api = buildApi({
    client: env.client,
    ledger: h.ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: [],
    apiTokens: ['staff-token-1'],
    codec,
    codecCorsOrigins: ['http://127.0.0.1:8233'],
    codecLocalOrigins: ['http://127.0.0.1:18233'],
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload({ email: OWNER })]);
  const body = {
    payloads: [
      {
        metadata: Object.fromEntries(
          Object.entries(encrypted.metadata!).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
        data: Buffer.from(encrypted.data!).toString('base64'),
      },
    ],
  };
  expect((await call('POST', '/codec/decode', body)).status).toBe(401);
  const response = await fetch(`${base}/codec/decode`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: 'Bearer staff-token-1',
      origin: 'http://127.0.0.1:8233',
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('access-control-allow-origin')).toBe('http://127.0.0.1:8233');
  const decoded = (await response.json()) as { payloads: { data: string }[] };
  expect(JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString())).toEqual({ email: OWNER });
  // The embedded UI's origin needs no token from loopback; a listed origin still does, and others are refused.
  const local = await call('POST', '/codec/decode', body, { origin: 'http://127.0.0.1:18233' });
  expect(local.status).toBe(200);
  expect((await call('POST', '/codec/decode', body, { origin: 'http://127.0.0.1:8233' })).status).toBe(403);
  expect((await call('POST', '/codec/decode', body, { origin: 'https://evil.example' })).status).toBe(403);
  const wrongToken = { origin: 'http://127.0.0.1:18233', authorization: 'Bearer nope' };
  expect((await call('POST', '/codec/decode', body, wrongToken)).status).toBe(401);

  // Unlike the staff routes, the codec is not open when HANDOFF_API_TOKEN is unset.
  await api.close();
  api = buildApi({
    client: env.client,
    ledger: h.ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: [],
    apiTokens: [],
    codec,
    codecLocalOrigins: ['http://127.0.0.1:18233'],
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  expect((await call('POST', '/codec/decode', body)).status).toBe(401);
  expect((await call('POST', '/codec/decode', body, { origin: 'https://evil.example' })).status).toBe(403);
  expect((await call('POST', '/codec/decode', body, { origin: 'http://127.0.0.1:18233' })).status).toBe(200);
});

test('staff remove a contributor reported after a revoke; unknown accounts and bad ids are refused', async () => {
  await startApi({ apiTokens: ['staff-token-1'] });
  const accountId = h.sim.addContributor(h.siteId, { policyIds: ['6732588207941061632'] });
  const auth = { authorization: 'Bearer staff-token-1' };
  const path = `/v1/sites/${h.siteId}/contributors/${accountId}/remove`;
  expect((await call('POST', path)).status).toBe(401);
  // The API has no Wix access: the removal runs as a workflow on the workers' rate-limited Wix task queue.
  await h.withWorker(async () => {
    expect((await call('POST', path, undefined, auth)).status).toBe(200);
    expect(h.sim.contributors(h.siteId).map((c) => c.accountId)).not.toContain(accountId);
    expect((await call('POST', path, undefined, auth)).status).toBe(404);
  });
  expect((await call('POST', `/v1/sites/${h.siteId}/contributors/nope/remove`, undefined, auth)).status).toBe(
    400,
  );
});
