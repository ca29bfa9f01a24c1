// Wix's push hint (Contributor Created, a JWT signed RS256): the verifier on its own, then end to end on the dev
// server with real workers, the real API and the simulator sending its hints over loopback. A hint only asks the
// handoff to check now; the contributors check decides, and a lost hint is still caught by the regular checks.
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { readWixWebhookPublicKey } from '../src/config';
import { createMetrics, type HandoffMetrics } from '../src/metrics';
import {
  WIX_WEBHOOK_ACTOR,
  WixWebhookRefused,
  isContributorCreated,
  siteOfEvent,
  verifyWixWebhook,
} from '../src/api/wix-webhook-routes';
import {
  CONTRIBUTOR_CREATED_EVENT_TYPE,
  contributorCreatedClaims,
  signWixWebhookJwt,
  type ContributorCreated,
} from '../src/wix/simulator/webhooks';
import { startApiUnderTest, type ApiUnderTest } from './support/api-server';
import { startDevServerEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';
import type { HandoffStatus } from '../workflows/handoff-types';

const rsa = () => generateKeyPairSync('rsa', { modulusLength: 2048 });
const wix = rsa();
const other = rsa();
const SITE = '9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d';
const ACCOUNT = 'fed9597b-00a1-4bd6-0000-aff2ec248e7a';

const created = (siteId: string, at = Date.now()): ContributorCreated => ({
  siteId,
  accountId: ACCOUNT,
  accountOwnerId: '0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5',
  ownerAccountId: '1c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5',
  policyIds: ['6732588207941061632'],
  at,
});
let eventCounter = 0;
const nextEventId = () => `00000000-0000-4000-8000-${String(++eventCounter).padStart(12, '0')}`;
/** A Contributor Created token as Wix would send it, issued `ageSeconds` ago. */
const token = (
  siteId: string,
  { key = wix.privateKey, ageSeconds = 0, eventId = nextEventId() } = {},
): string =>
  signWixWebhookJwt(contributorCreatedClaims(created(siteId), eventId, Date.now() - ageSeconds * 1000), key);
const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (err) {
    if (err instanceof WixWebhookRefused) return err.message;
    throw err;
  }
  throw new Error('the token was not refused');
};
const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('the verifier', () => {
  test('a genuine token verifies and unwraps to the site and the Contributor Created event', () => {
    const event = verifyWixWebhook(token(SITE), wix.publicKey);
    expect(event.eventType).toBe(CONTRIBUTOR_CREATED_EVENT_TYPE);
    expect(event.data).toMatchObject({ slug: 'created', entityId: ACCOUNT });
    expect(event.identity).toMatchObject({ identityType: 'WIX_USER' });
    expect(isContributorCreated(event)).toBe(true);
    expect(siteOfEvent(event)).toBe(SITE);
  });

  test('forged, tampered, other algorithms, stale, future, expired and malformed tokens are refused, saying why', () => {
    expect(refusal(() => verifyWixWebhook(token(SITE, { key: other.privateKey }), wix.publicKey))).toMatch(
      /signature does not match .*WIX_WEBHOOK_PUBLIC_KEY/,
    );
    // A genuine signature over other claims: the payload swapped for one naming another site.
    const [h, , s] = token(SITE).split('.');
    const swapped = `${h}.${part(contributorCreatedClaims(created(ACCOUNT), 'x', Date.now()))}.${s}`;
    expect(refusal(() => verifyWixWebhook(swapped, wix.publicKey))).toMatch(/signature does not match/);
    const claims = contributorCreatedClaims(created(SITE), 'y', Date.now());
    expect(
      refusal(() => verifyWixWebhook(`${part({ alg: 'none' })}.${part(claims)}.`, wix.publicKey)),
    ).toMatch(/signed with "none", not RS256/);
    expect(
      refusal(() => verifyWixWebhook(`${part({ alg: 'HS256' })}.${part(claims)}.c2ln`, wix.publicKey)),
    ).toMatch(/"HS256", not RS256/);
    expect(refusal(() => verifyWixWebhook(token(SITE, { ageSeconds: 301 }), wix.publicKey))).toMatch(
      /stale: issued 30\d s ago, more than the 300 s allowed/,
    );
    expect(verifyWixWebhook(token(SITE, { ageSeconds: 240 }), wix.publicKey).issuedAt).toBeGreaterThan(0);
    expect(refusal(() => verifyWixWebhook(token(SITE, { ageSeconds: -600 }), wix.publicKey))).toMatch(
      /in the future/,
    );
    const iat = Math.floor(Date.now() / 1000) - 60;
    const expired = signWixWebhookJwt({ ...claims, iat, exp: iat - 70 }, wix.privateKey);
    expect(refusal(() => verifyWixWebhook(expired, wix.publicKey))).toMatch(/expired/);
    const noIat = signWixWebhookJwt({ data: claims.data }, wix.privateKey);
    expect(refusal(() => verifyWixWebhook(noIat, wix.publicKey))).toMatch(/no iat/);
    const noData = signWixWebhookJwt({ iat: Math.floor(Date.now() / 1000) }, wix.privateKey);
    expect(refusal(() => verifyWixWebhook(noData, wix.publicKey))).toMatch(/no data claim/);
    for (const body of ['', '   ', 'hello', 'a.b', '{"data":"x"}', 'a.b.c.d', '!!.??.**'])
      expect(refusal(() => verifyWixWebhook(body, wix.publicKey))).toMatch(/empty|not a JWT|base64url JSON/);
    expect(refusal(() => verifyWixWebhook(`${part([1])}.${part(claims)}.x`, wix.publicKey))).toMatch(
      /header is not a JSON object/,
    );
  });

  test('the site comes from the entity, the event, or the envelope, and only a GUID counts', () => {
    const base = { eventType: 'x', data: {}, issuedAt: 0 };
    const entityAsJson = JSON.stringify({ siteId: SITE.toUpperCase() });
    expect(siteOfEvent({ ...base, data: { createdEvent: { entityAsJson } } })).toBe(SITE);
    expect(siteOfEvent({ ...base, data: { metaSiteId: SITE } })).toBe(SITE);
    expect(siteOfEvent({ ...base, instanceId: SITE, data: {} })).toBe(SITE);
    expect(siteOfEvent({ ...base, instanceId: 'not-a-site', data: { siteId: 42 } })).toBeUndefined();
    expect(isContributorCreated({ ...base, eventType: 'wix.contacts.v4.contact_created' })).toBe(false);
    expect(
      isContributorCreated({
        ...base,
        eventType: '',
        data: { slug: 'created', entityFqdn: 'wix.x.contributor' },
      }),
    ).toBe(true);
  });

  test('WIX_WEBHOOK_PUBLIC_KEY: PEM, escaped newlines or the bare body; a private, EC or broken key stops the start', () => {
    const pem = wix.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const read = (value: string) => {
      const problems: string[] = [];
      const key = readWixWebhookPublicKey({ WIX_WEBHOOK_PUBLIC_KEY: value }, problems);
      return { key, problems };
    };
    const spki = (key: KeyObject | undefined) => key?.export({ type: 'spki', format: 'der' }).toString('hex');
    const want = spki(wix.publicKey);
    expect(spki(read(pem).key)).toBe(want);
    expect(spki(read(pem.replace(/\n/g, '\\n')).key)).toBe(want);
    expect(spki(read(pem.replace(/-----[^-]+-----/g, '').replace(/\n/g, '')).key)).toBe(want);
    expect(readWixWebhookPublicKey({}, [])).toBeUndefined();
    const priv = wix.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(read(priv).problems).toEqual([expect.stringMatching(/private key/)]);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
    expect(read(ec.export({ type: 'spki', format: 'pem' }).toString()).problems).toEqual([
      expect.stringMatching(/must be an RSA public key/),
    ]);
    expect(read('not a key').problems).toEqual([expect.stringMatching(/not a PEM public key/)]);
  });
});

describe('the simulator', () => {
  test('an accept never waits on, nor fails with, the receiver; no target means no hint; the control route drops', async () => {
    const { WixSimulator } = await import('../src/wix/simulator/wix-simulator');
    // A receiver that is not there (a port nothing listens on once closed).
    const gone = await WixSimulator.start();
    const deadUrl = `${gone.url}/nowhere`;
    await gone.close();
    const sim = await WixSimulator.start({ webhooks: { target: deadUrl, privateKey: wix.privateKey } });
    try {
      const accountId = sim.addAccount();
      const apiKey = sim.addApiKey({ accountId });
      const siteId = sim.addSite({ ownerAccountId: accountId });
      const invite = async (email: string) => {
        const response = await fetch(`${sim.url}/invites/site-invite/bulk`, {
          method: 'POST',
          headers: { authorization: apiKey, 'wix-site-id': siteId, 'content-type': 'application/json' },
          body: JSON.stringify({ policyIds: ['6732588207941061632'], emails: [email] }),
        });
        return ((await response.json()) as { invites: { id: string }[] }).invites[0].id;
      };
      const accept = (id: string) =>
        fetch(`${sim.url}/_simulator/invites/${id}/accept`, { method: 'POST' }).then((r) => r.status);
      expect(await accept(await invite('a@customer.example'))).toBe(200);
      await sim.webhooksSettled();
      expect(sim.webhookDeliveries()).toEqual([
        expect.objectContaining({ siteId, outcome: 'failed', error: expect.any(String) }),
      ]);
      expect(sim.webhookPublicKey).toBe(wix.publicKey.export({ type: 'spki', format: 'pem' }).toString());

      const control = (body?: unknown) =>
        fetch(`${sim.url}/_simulator/webhooks`, {
          method: body === undefined ? 'GET' : 'POST',
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }).then(async (r) => ({ status: r.status, json: (await r.json()) as { deliveries?: unknown[] } }));
      expect((await control({ drop: 'sometimes' })).status).toBe(400);
      expect((await control({ drop: 1 })).status).toBe(200);
      expect(await accept(await invite('b@customer.example'))).toBe(200);
      expect((await control({ target: null })).status).toBe(200);
      expect(await accept(await invite('c@customer.example'))).toBe(200);
      // An existing contributor accepting another invite is not a new contributor: no hint.
      expect((await control()).json.deliveries).toEqual([
        expect.objectContaining({ outcome: 'failed' }),
        expect.objectContaining({ outcome: 'dropped' }),
      ]);
    } finally {
      await sim.close();
    }
  });
});

describe('end to end: the simulator hints, the API verifies, the handoff checks', () => {
  let env: TestWorkflowEnvironment;
  let h: Harness;
  let api: ApiUnderTest;
  let metrics: HandoffMetrics;

  beforeAll(async () => {
    env = await startDevServerEnv();
    await workflowBundle();
    // The simulator signs with the "Wix" key of this file, so the tests can also sign stale tokens with it.
    h = await createHarness(env, { webhooks: { privateKey: wix.privateKey } });
    metrics = createMetrics();
    api = await startApiUnderTest({
      client: env.client,
      ledger: h.ledger,
      namespace: 'default',
      taskQueue: h.taskQueue,
      webhookSecrets: [],
      apiTokens: [],
      metrics,
      wixWebhookPublicKey: createPublicKey(h.sim.webhookPublicKey),
    });
    h.sim.setWebhookTarget(`${api.base}/v1/wix/webhooks`);
  }, 120_000);
  afterAll(async () => {
    await api?.close();
    await h?.close();
    await env?.teardown();
  });

  const hints = async (outcome: string): Promise<number> =>
    (await metrics.wixHints.get()).values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  const untilHints = async (outcome: string, count: number): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while ((await hints(outcome)) < count) {
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${count} ${outcome} hint(s)`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const post = async (body: string, contentType = 'text/plain') => {
    const response = await fetch(`${api.base}/v1/wix/webhooks`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  /** A pending handoff for a new site; its one invite's id. */
  const pendingHandoff = async (acceptancePoll: string): Promise<{ siteId: string; inviteId: string }> => {
    const siteId = h.sim.addSite({ ownerAccountId: h.accountId });
    const started = await api.call(
      'POST',
      '/v1/events/project-completed',
      projectEvent(siteId, { policy: { acceptancePoll } }),
    );
    expect(started.status).toBe(202);
    await api.until(`/v1/handoffs/${siteId}`, (s) => s.state === 'pending', 'the invite');
    const inviteId = h.sim.invites({ siteId })[0]?.id;
    if (!inviteId) throw new Error(`no invite for ${siteId}`);
    return { siteId, inviteId };
  };
  const status = async (siteId: string) =>
    (await api.call('GET', `/v1/handoffs/${siteId}`)).json as unknown as HandoffStatus;

  test('a genuine hint: a handoff that polls every 6 hours is accepted within seconds, by the check it asks for', async () => {
    await h.withWorker(async () => {
      const { siteId, inviteId } = await pendingHandoff('6h');
      const acceptedAt = Date.now();
      h.sim.acceptInvite(inviteId);
      const accepted = await api.until(`/v1/handoffs/${siteId}`, (s) => s.state === 'accepted', 'acceptance');
      const seconds = (Date.now() - acceptedAt) / 1000;
      expect(seconds).toBeLessThan(10);
      await h.sim.webhooksSettled();
      expect(h.sim.webhookDeliveries().filter((d) => d.siteId === siteId)).toEqual([
        expect.objectContaining({ outcome: 'delivered', status: 200 }),
      ]);
      await untilHints('checked', 1);
      // The hint asked; the contributors check decided.
      expect(accepted.audit).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ event: 'acceptance check requested', actor: WIX_WEBHOOK_ACTOR }),
        ]),
      );

      // Another hint for the same site once the handoff has ended: 200, refused by the handoff, ignored.
      expect((await post(token(siteId))).status).toBe(200);
      await untilHints('refused', 1);
      expect((await status(siteId)).state).toBe('accepted');
    });
  });

  test('forged, stale, expired and malformed deliveries get 401 and change nothing; the genuine one then does', async () => {
    await h.withWorker(async () => {
      const { siteId, inviteId } = await pendingHandoff('6h');
      // The customer accepts, and the simulator's own hint is lost: only the deliveries below could tell.
      h.sim.dropWebhooks(1);
      h.sim.acceptInvite(inviteId);
      const before = await status(siteId);
      const unauthorizedBefore = await hints('unauthorized');

      const forged = await post(token(siteId, { key: other.privateKey }));
      expect(forged).toEqual({
        status: 401,
        json: {
          error:
            'Wix webhook refused: the signature does not match the configured Wix public key (WIX_WEBHOOK_PUBLIC_KEY)',
        },
      });
      expect((await post(token(siteId, { ageSeconds: 600 }))).json.error).toMatch(
        /stale: issued 60[01] s ago/,
      );
      const iat = Math.floor(Date.now() / 1000);
      const claims = {
        ...contributorCreatedClaims(created(siteId), nextEventId(), Date.now()),
        exp: iat - 120,
      };
      expect((await post(signWixWebhookJwt(claims, wix.privateKey))).json.error).toMatch(/expired/);
      for (const [body, type] of [
        ['not a token', 'text/plain'],
        ['', 'text/plain'],
        ['{"data": "x"}', 'application/json'],
        [token(siteId).slice(0, -4), 'text/plain'],
      ] as const) {
        const refused = await post(body, type);
        expect(refused.status).toBe(401);
        expect(refused.json.error).toMatch(/^Wix webhook refused: /);
        // The token is never echoed back.
        if (body.length > 20) expect(JSON.stringify(refused.json)).not.toContain(body.slice(0, 20));
      }
      expect(await hints('unauthorized')).toBe(unauthorizedBefore + 7);
      await new Promise((r) => setTimeout(r, 1_500));
      const after = await status(siteId);
      expect(after.state).toBe('pending');
      expect(after.audit).toEqual(before.audit);

      // The same customer, a genuine delivery: the check it asks for finds the acceptance.
      const genuine = await post(token(siteId));
      expect(genuine).toEqual({ status: 200, json: { received: true, outcome: 'accepted', siteId } });
      await api.until(`/v1/handoffs/${siteId}`, (s) => s.state === 'accepted', 'acceptance');
    });
  });

  test('a hint for an unknown site, another event, no site, or a repeat: 200 and ignored', async () => {
    const unknown = '0f0e0d0c-0b0a-4000-8000-000000000001';
    expect(await post(token(unknown))).toEqual({
      status: 200,
      json: { received: true, outcome: 'accepted', siteId: unknown },
    });
    await untilHints('unknown_site', 1);

    const iat = Math.floor(Date.now() / 1000);
    const other = (envelope: Record<string, unknown>) =>
      post(signWixWebhookJwt({ data: JSON.stringify(envelope), iat }, wix.privateKey));
    expect((await other({ eventType: 'wix.contacts.v4.contact_created', data: '{}' })).json.outcome).toBe(
      'not_contributor_created',
    );
    expect(
      (await other({ eventType: CONTRIBUTOR_CREATED_EVENT_TYPE, data: '{"id":"e1"}' })).json.outcome,
    ).toBe('no_site');
    // Wix retries a delivery it thinks was lost: the same event is one check.
    const once = token(unknown);
    expect((await post(once)).json.outcome).toBe('accepted');
    expect((await post(once)).json.outcome).toBe('duplicate');
    await untilHints('unknown_site', 2);
    expect(await hints('not_contributor_created')).toBe(1);
    expect(await hints('no_site')).toBe(1);
    expect(await hints('duplicate')).toBe(1);
    expect(await api.call('GET', '/metrics')).toMatchObject({
      text: expect.stringContaining('handoff_wix_hints_total{outcome="unknown_site"} 2'),
    });
  });

  test('a lost hint: the regular acceptance check still finds the customer', async () => {
    await h.withWorker(async () => {
      const { siteId, inviteId } = await pendingHandoff('2s');
      const checkedBefore = await hints('checked');
      h.sim.dropWebhooks(1);
      h.sim.acceptInvite(inviteId);
      const accepted = await api.until(`/v1/handoffs/${siteId}`, (s) => s.state === 'accepted', 'acceptance');
      expect(h.sim.webhookDeliveries().filter((d) => d.siteId === siteId)).toEqual([
        expect.objectContaining({ outcome: 'dropped' }),
      ]);
      expect(await hints('checked')).toBe(checkedBefore);
      expect(accepted.audit.some((a) => a.actor === WIX_WEBHOOK_ACTOR)).toBe(false);
    });
  });
});
