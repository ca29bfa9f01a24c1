// Changing a running handoff over HTTP, on the dev server with real workers and the Wix simulator: each route's
// answer (200 with the status, 400 naming the field, 404, 409 with the machine's reason) and the Wix side.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startApiUnderTest, type ApiUnderTest } from './support/api-server';
import type { HandoffStatus } from '../workflows/handoff-types';
import { startDevServerEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';

const OWNER = 'owner@customer.example';
const NEW = 'new.owner@customer.example';
const STAFF = { authorization: 'Bearer ana-token-123456' };

let env: TestWorkflowEnvironment;
let h: Harness;
let api: ApiUnderTest;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
  h = await createHarness(env);
  api = await startApiUnderTest(
    {
      client: env.client,
      ledger: h.ledger,
      namespace: 'default',
      taskQueue: h.taskQueue,
      webhookSecrets: [],
      apiTokens: ['ana:ana-token-123456'],
    },
    STAFF,
  );
}, 120_000);
afterAll(async () => {
  await api?.close();
  await h?.close();
  await env?.teardown();
});

const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
  api.call(method, path, body, headers);
const until = (path: string, check: (s: HandoffStatus) => boolean, what: string) =>
  api.until(path, check, what);

test('each change over HTTP: the status back, the field named, the reason given, judged on the Wix side', async () => {
  const siteId = h.sim.addSite({ ownerAccountId: h.accountId });
  const path = `/v1/handoffs/${siteId}`;
  await h.withWorker(async () => {
    expect((await call('POST', '/v1/events/project-completed', projectEvent(siteId))).status).toBe(202);
    await until(path, (s) => s.state === 'pending', 'the invite');

    const bad = await call('POST', `${path}/invitees/${OWNER}/replace`, { email: 'nope' });
    expect(bad).toMatchObject({ status: 400, json: { problems: ['email: must be a valid email address'] } });
    expect((await call('DELETE', `${path}/invitees/nobody@customer.example`)).status).toBe(404);
    expect(
      (await call('POST', `/v1/handoffs/${h.sim.addSite({ ownerAccountId: h.accountId })}/pause`)).status,
    ).toBe(404);

    // A retried request with the same Idempotency-Key is one replacement: one new invite, one email.
    const key = { 'idempotency-key': 'replace-owner-1' };
    const replaced = await call(
      'POST',
      `${path}/invitees/${OWNER}/replace`,
      { email: NEW, reason: 'typo' },
      key,
    );
    const retried = await call(
      'POST',
      `${path}/invitees/${OWNER}/replace`,
      { email: NEW, reason: 'typo' },
      key,
    );
    expect(replaced.status).toBe(200);
    expect(retried.status).toBe(200);
    const invitees = (replaced.json as unknown as HandoffStatus).invitees;
    expect(invitees.map((i) => [i.email, i.status])).toEqual([
      [OWNER, 'removed'],
      [NEW, 'pending'],
    ]);
    expect(h.sim.invites({ siteId, email: OWNER }).map((i) => i.status)).toEqual(['Deleted']);
    expect(h.sim.invites({ siteId, email: NEW }).map((i) => i.status)).toEqual(['Pending']);
    expect(h.sim.emailCount(NEW)).toBe(1);
    // A named token's holder is the actor.
    expect((replaced.json as unknown as HandoffStatus).audit).toContainEqual(
      expect.objectContaining({ event: 'invitee replaced', actor: 'ana' }),
    );

    expect((await call('POST', `${path}/pause`, { reason: 'holiday' })).json).toMatchObject({
      paused: { actor: 'ana', reason: 'holiday' },
      nextReminderAt: null,
    });
    expect(await call('POST', `${path}/pause`, {})).toMatchObject({
      status: 409,
      json: { reason: 'reminders are already paused' },
    });
    expect((await call('POST', `${path}/resume`)).json).toMatchObject({ paused: null });
    const policy = await call('PATCH', `${path}/policy`, { reminders: ['1 day'], maxRenewals: 0 });
    expect(policy.json).toMatchObject({ policy: { reminderOffsetsMs: [86_400_000], maxRenewals: 0 } });
    expect((await call('PATCH', `${path}/policy`, { reminders: 'daily' })).status).toBe(400);
    expect(await call('DELETE', `${path}/invitees/${NEW}`)).toMatchObject({
      status: 409,
      json: { reason: expect.stringMatching(/last invitee/) },
    });

    h.sim.acceptInvite(invitees[1].inviteId!);
    expect((await call('POST', `${path}/check-acceptance`)).status).toBe(200);
    await until(path, (s) => s.state === 'accepted', 'the acceptance');
    expect(await call('POST', `${path}/invitees`, { email: 'late@customer.example' })).toMatchObject({
      status: 409,
      json: { reason: 'the handoff has already ended as accepted' },
    });
    expect(await call('POST', `${path}/restart`, { reason: 'again' })).toMatchObject({
      status: 409,
      json: { reason: expect.stringMatching(/ended as accepted/) },
    });
  });
});

test('one change for every running handoff: a bulk pause walks them all, with progress and each refusal named', async () => {
  const sites = Array.from({ length: 12 }, () => h.sim.addSite({ ownerAccountId: h.accountId }));
  await h.withWorker(async () => {
    for (const siteId of sites)
      expect((await call('POST', '/v1/events/project-completed', projectEvent(siteId))).status).toBe(202);
    for (const siteId of sites)
      await until(`/v1/handoffs/${siteId}`, (s) => s.state === 'pending', 'pending');
    expect((await call('POST', `/v1/handoffs/${sites[0]}/pause`, { reason: 'already' })).status).toBe(200);

    const wrong = await call('POST', '/v1/bulk-changes', {
      change: { kind: 'addInvitee', email: 'x@y.example' },
    });
    expect(wrong).toMatchObject({
      status: 400,
      json: { problems: [expect.stringMatching(/^kind: a bulk change/)] },
    });
    const started = await call('POST', '/v1/bulk-changes', {
      change: { kind: 'pause', reason: 'agency holidays' },
    });
    expect(started.status).toBe(202);
    const progressPath = started.json.progress as string;
    const deadline = Date.now() + 60_000;
    let progress = (await call('GET', progressPath)).json;
    while (!progress.done && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      progress = (await call('GET', progressPath)).json;
    }
    expect(progress).toMatchObject({ done: true, seen: 12, changed: 11, refused: 1, gone: 0 });
    expect(progress.refusals).toEqual([
      { handoffId: `handoff-${sites[0]}`, reason: 'reminders are already paused' },
    ]);
    for (const siteId of sites.slice(1)) {
      expect((await call('GET', `/v1/handoffs/${siteId}`)).json).toMatchObject({
        paused: { actor: 'ana', reason: 'agency holidays' },
      });
    }
    expect((await call('GET', '/v1/bulk-changes/bulk-change-nope')).status).toBe(404);
  });
});
