// The Wix client against the simulator (and, for wire details, a recording server), over real HTTP on loopback.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { WixApiError, type WixErrorKind } from '../src/wix/client/errors';
import { WixClient } from '../src/wix/client/wix-client';
import { SIMULATOR_ROLES, WixSimulator, type WixSimulatorOptions } from '../src/wix/simulator/wix-simulator';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2025-03-01T10:15:30.000Z');
const ADMIN = SIMULATOR_ROLES.adminCoOwner;
// Looks like a real key so a leak would be unmistakable.
const SECRET_KEY = 'IST.eyJraWQiOiJQb3pIX2FDMiIsImFsZyI6IlJTMjU2In0.s3cr3t-k3y-v4lu3';
const OWNER = 'owner@customer.example';

interface World {
  sim: WixSimulator;
  accountId: string;
  siteId: string;
  wix: WixClient;
  setNow(ms: number): void;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function world(
  options: WixSimulatorOptions = {},
  client: { timeoutMs?: number; roleCacheTtlMs?: number } = {},
) {
  let now = START;
  const sim = await WixSimulator.start({ clock: () => now, rateLimitPerMinute: 0, ...options });
  cleanups.push(() => sim.close());
  const accountId = sim.addAccount();
  sim.addApiKey({ accountId, key: SECRET_KEY });
  const siteId = sim.addSite({ ownerAccountId: accountId });
  const wix = new WixClient({ baseUrl: sim.url, apiKey: SECRET_KEY, accountId, ...client });
  const w: World = { sim, accountId, siteId, wix, setNow: (ms) => (now = ms) };
  return w;
}

async function failure(promise: Promise<unknown>): Promise<WixApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof WixApiError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function expectNoSecret(error: WixApiError, secret = SECRET_KEY): void {
  for (const text of [
    error.message,
    String(error),
    JSON.stringify(error),
    error.stack ?? '',
    inspect(error),
  ]) {
    expect(text).not.toContain(secret);
  }
}

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type RawAnswer = { status: number; body?: string; headers?: Record<string, string> } | 'destroy' | 'hang';

// A bare server that records requests exactly as they arrive and answers as told.
async function recordingServer(answer: (req: Recorded) => RawAnswer = () => ({ status: 200, body: '{}' })) {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(recorded);
      const reply = answer(recorded);
      if (reply === 'destroy') return req.socket.destroy();
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'Content-Type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url, requests };
}

describe('happy paths', () => {
  test('invite, find the invite in the outbox, accept, see the contributor, remove them', async () => {
    const w = await world();
    const sent = await w.wix.bulkInvite(w.siteId, {
      policyIds: [ADMIN],
      emails: [OWNER],
      defaultEmailLanguage: 'en',
    });
    expect(sent.failedEmails).toEqual([]);
    expect(sent.invites).toHaveLength(1);
    const invite = sent.invites[0];
    expect(invite).toMatchObject({ email: OWNER, status: 'Pending', siteId: w.siteId, policyIds: [ADMIN] });
    expect(invite.expirationDate).toBe('2025-03-31T10:15:30.000Z');
    expect(w.sim.outbox()).toEqual([
      expect.objectContaining({ to: OWNER, kind: 'invite', inviteId: invite.id, language: 'en' }),
    ]);

    expect(await w.wix.querySiteContributors(w.siteId, { policyIds: [ADMIN] })).toEqual([]);
    const { accountId } = w.sim.acceptInvite(invite.id!);
    const contributors = await w.wix.querySiteContributors(w.siteId, {
      policyIds: [ADMIN, SIMULATOR_ROLES.websiteManager],
    });
    expect(contributors.map((c) => c.accountId)).toEqual([accountId]);
    expect(
      await w.wix.querySiteContributors(w.siteId, { policyIds: [SIMULATOR_ROLES.websiteManager] }),
    ).toEqual([]);

    await w.wix.removeContributor(w.siteId, accountId);
    expect(await w.wix.querySiteContributors(w.siteId)).toEqual([]);
    expect(w.sim.contributors(w.siteId)).toEqual([]);
  });

  test('resend renews an expired invite and emails again; revoke deletes a pending one', async () => {
    const w = await world();
    const { invites } = await w.wix.bulkInvite(w.siteId, { policyIds: [ADMIN], emails: [OWNER] });
    const id = invites[0].id!;
    w.setNow(START + 31 * DAY);
    expect(w.sim.invites({ email: OWNER })[0].status).toBe('Expired');

    const renewed = await w.wix.resendInvite(w.siteId, id, { defaultEmailLanguage: 'de' });
    expect(renewed).toMatchObject({
      id,
      status: 'Pending',
      expirationDate: new Date(START + 61 * DAY).toISOString(),
    });
    expect(await w.wix.resendInvite(w.siteId, id)).toMatchObject({ id, status: 'Pending' });
    expect(w.sim.emailCount(OWNER)).toBe(3);
    expect(w.sim.outbox().map((m) => [m.kind, m.language])).toEqual([
      ['invite', undefined],
      ['resend', 'de'],
      ['resend', undefined],
    ]);

    await w.wix.revokeInvite(w.siteId, id);
    expect(w.sim.invites({ email: OWNER })[0].status).toBe('Deleted');
    // Revoking twice is harmless by default.
    await w.wix.revokeInvite(w.siteId, id);
  });

  test('partial failure: invalid, existing contributor, duplicate pending and over-the-seat-limit emails', async () => {
    const w = await world();
    const site = w.sim.addSite({ ownerAccountId: w.accountId, seatLimit: 3 });
    w.sim.addContributor(site, { policyIds: [ADMIN], email: 'existing@customer.example' });
    await w.wix.bulkInvite(site, { policyIds: [ADMIN], emails: ['pending@customer.example'] });
    const result = await w.wix.bulkInvite(site, {
      policyIds: [ADMIN],
      emails: [
        'bad address',
        'existing@customer.example',
        'pending@customer.example',
        'new@customer.example',
        'late@customer.example',
      ],
    });
    expect(result.invites.map((i) => i.email)).toEqual(['new@customer.example']);
    expect(result.failedEmails).toEqual([
      'bad address',
      'existing@customer.example',
      'pending@customer.example',
      'late@customer.example',
    ]);
    expect(w.sim.emailCount('pending@customer.example')).toBe(1);
    expect(w.sim.emailCount('late@customer.example')).toBe(0);
  });

  test('getRolesInfo returns site-level roles; without an account id Wix answers a clear 403', async () => {
    const w = await world();
    const roles = await w.wix.getRolesInfo({ roleLevel: 'SITE_LEVEL' });
    const titles = roles.predefinedRoles.map((r) => r.title);
    expect(titles).toEqual(expect.arrayContaining(['Admin (Co-Owner)', 'Website Manager']));
    expect(titles).not.toContain('Account Admin (Co-Owner)');
    expect(roles.customRoles.map((r) => r.id)).toEqual([SIMULATOR_ROLES.customRole]);

    const noAccount = new WixClient({ baseUrl: w.sim.url, apiKey: SECRET_KEY });
    const error = await failure(noAccount.getRolesInfo());
    expect(error).toMatchObject({
      kind: 'permission-denied',
      status: 403,
      code: 'PERMISSION_DENIED',
      retryable: false,
    });
    expect(error.message).toMatch(/WIX_ACCOUNT_ID/);
    expect(error.message).toMatch(/wix-account-id/);
  });
});

describe('what goes on the wire', () => {
  test('raw key, one scope header per call, site id never in a body, encoded ids, repeated filter params', async () => {
    const raw = await recordingServer();
    const wix = new WixClient({ baseUrl: `${raw.url}/`, apiKey: SECRET_KEY, accountId: 'acc-1' });
    await wix.bulkInvite('site-1', { policyIds: ['1', '2'], emails: [OWNER] });
    await wix.resendInvite('site-1', 'a/b?c');
    await wix.revokeInvite('site-1', 'inv-1');
    await wix.querySiteContributors('site-1', { policyIds: ['1', '2'] });
    await wix.getRolesInfo({ roleLevel: 'SITE_LEVEL' });
    await wix.removeContributor('site-1', 'acc-9');

    expect(raw.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /invites/site-invite/bulk',
      'POST /invites/site-invite/a%2Fb%3Fc/resend',
      'POST /invites/site-invite/inv-1/revoke',
      'GET /roles-management/v2/contributors/query?filter.policyIds=1&filter.policyIds=2',
      'GET /roles-management/roles?filter.roleLevel=SITE_LEVEL&locale=en',
      'POST /roles-management/contributor/remove',
    ]);
    for (const r of raw.requests) {
      expect(r.headers.authorization).toBe(SECRET_KEY);
      const scope = [r.headers['wix-site-id'], r.headers['wix-account-id']].filter((v) => v !== undefined);
      expect(scope).toHaveLength(1);
      expect(r.body).not.toContain('site-1');
    }
    expect(raw.requests.filter((r) => r.headers['wix-account-id'] === 'acc-1').map((r) => r.url)).toEqual([
      '/roles-management/roles?filter.roleLevel=SITE_LEVEL&locale=en',
    ]);
    expect(JSON.parse(raw.requests[0].body)).toEqual({ policyIds: ['1', '2'], emails: [OWNER] });
    expect(raw.requests[0].headers['content-type']).toBe('application/json');
    expect(raw.requests[2].body).toBe('');
    expect(JSON.parse(raw.requests[5].body)).toEqual({ accountId: 'acc-9' });
  });

  test('missing or null fields in answers normalise to empty lists; junk items are dropped', async () => {
    const answers = [
      '{}',
      '{"invites":null,"failedEmails":null}',
      '',
      '{"invites":[null,{"id":"x","status":7,"brandDomain":"w"}]}',
    ];
    const raw = await recordingServer(() => ({ status: 200, body: answers.shift() ?? '{}' }));
    const wix = new WixClient({ baseUrl: raw.url, apiKey: SECRET_KEY });
    const request = { policyIds: ['1'], emails: [OWNER] };
    expect(await wix.bulkInvite('s', request)).toEqual({ invites: [], failedEmails: [] });
    expect(await wix.bulkInvite('s', request)).toEqual({ invites: [], failedEmails: [] });
    expect(await wix.querySiteContributors('s')).toEqual([]);
    expect(await wix.bulkInvite('s', request)).toEqual({ invites: [{ id: 'x' }], failedEmails: [] });
    expect(await wix.resendInvite('s', 'x')).toBeUndefined();
  });
});

describe('errors', () => {
  test('400 names the invalid fields; 401 points at WIX_API_KEY; 403 at the Manage Contributors permission', async () => {
    const w = await world();
    const invalid = await failure(w.wix.bulkInvite(w.siteId, { policyIds: [ADMIN], emails: [] }));
    expect(invalid).toMatchObject({
      kind: 'bad-request',
      status: 400,
      retryable: false,
      mayHaveBeenProcessed: false,
    });
    expect(invalid.fieldViolations).toEqual([
      { field: 'emails', description: 'must contain at least one item' },
    ]);
    expect(invalid.message).toMatch(/Invalid fields: emails/);
    expect(invalid.message).toMatch(/INVALID_ARGUMENT/);

    const wrongKey = 'IST.wrong-key-that-must-not-leak';
    const badKey = new WixClient({ baseUrl: w.sim.url, apiKey: wrongKey, accountId: w.accountId });
    const unauthenticated = await failure(
      badKey.bulkInvite(w.siteId, { policyIds: [ADMIN], emails: [OWNER] }),
    );
    expect(unauthenticated).toMatchObject({
      kind: 'unauthenticated',
      status: 401,
      code: 'UNAUTHENTICATED',
      retryable: false,
    });
    expect(unauthenticated.message).toMatch(
      /^Wix rejected the API key \(401 UNAUTHENTICATED\): check WIX_API_KEY/,
    );
    expectNoSecret(unauthenticated, wrongKey);

    const foreign = w.sim.addSite({ ownerAccountId: w.sim.addAccount() });
    const denied = await failure(w.wix.bulkInvite(foreign, { policyIds: [ADMIN], emails: [OWNER] }));
    expect(denied).toMatchObject({ kind: 'permission-denied', status: 403, mayHaveBeenProcessed: false });
    expect(denied.message).toMatch(/"Manage Contributors"/);
    expect(denied.message).toContain(foreign);
    expect(w.sim.outbox()).toHaveLength(0);
  });

  test('404 for an unknown invite; 428 for revoking an accepted invite, which keeps the contributor', async () => {
    const w = await world();
    const missing = await failure(w.wix.resendInvite(w.siteId, '0092ff87-6028-41cb-92b5-980d5474abcf'));
    expect(missing).toMatchObject({ kind: 'not-found', status: 404, code: 'NOT_FOUND', retryable: false });
    expect(missing.message).toContain('0092ff87-6028-41cb-92b5-980d5474abcf');

    const { invites } = await w.wix.bulkInvite(w.siteId, { policyIds: [ADMIN], emails: [OWNER] });
    const { accountId } = w.sim.acceptInvite(invites[0].id!);
    const refused = await failure(w.wix.revokeInvite(w.siteId, invites[0].id!));
    expect(refused).toMatchObject({
      kind: 'failed-precondition',
      status: 428,
      retryable: false,
      mayHaveBeenProcessed: false,
    });
    expect(refused.message).toMatch(/removeContributor/);
    expect(w.sim.contributors(w.siteId).map((c) => c.accountId)).toEqual([accountId]);
    expect((await w.wix.querySiteContributors(w.siteId)).map((c) => c.accountId)).toEqual([accountId]);
    expect(w.sim.invites()[0].status).toBe('Used');
  });

  test('429 is retryable, not processed, and waits a minute unless Retry-After says otherwise', async () => {
    const w = await world({ rateLimitPerMinute: 2 });
    await w.wix.querySiteContributors(w.siteId);
    await w.wix.querySiteContributors(w.siteId);
    const limited = await failure(w.wix.querySiteContributors(w.siteId));
    expect(limited).toMatchObject({
      kind: 'rate-limited',
      status: 429,
      code: 'RESOURCE_EXHAUSTED',
      retryable: true,
      mayHaveBeenProcessed: false,
      retryAfterMs: 60_000,
    });

    const withHeader = await world({ retryAfterHeader: true });
    withHeader.sim.injectFault({ count: 1, route: 'bulk', status: 429 });
    const told = await failure(
      withHeader.wix.bulkInvite(withHeader.siteId, { policyIds: [ADMIN], emails: [OWNER] }),
    );
    expect(told.retryAfterMs).toBe(60_000);
    expect(withHeader.sim.emailCount(OWNER)).toBe(0);

    const raw = await recordingServer(() => ({ status: 429, body: '', headers: { 'Retry-After': '7' } }));
    const short = await failure(
      new WixClient({ baseUrl: raw.url, apiKey: SECRET_KEY }).querySiteContributors('s'),
    );
    expect(short).toMatchObject({ kind: 'rate-limited', retryAfterMs: 7_000 });
  });

  test("the simulator's Retry-After: 7 on a 429 and a 503 reaches the caller as retryAfterMs 7000", async () => {
    const w = await world();
    w.sim.injectFault({ count: 1, route: 'bulk', status: 429, retryAfter: 7 });
    w.sim.injectFault({ count: 1, route: 'bulk', status: 503, retryAfter: 7 });
    const invite = () => failure(w.wix.bulkInvite(w.siteId, { policyIds: [ADMIN], emails: [OWNER] }));
    const limited = await invite();
    expect(limited).toMatchObject({
      kind: 'rate-limited',
      status: 429,
      retryable: true,
      retryAfterMs: 7_000,
    });
    expect(limited.message).toMatch(/retry after 7 s\./);
    const unavailable = await invite();
    expect(unavailable).toMatchObject({
      kind: 'unavailable',
      status: 503,
      retryable: true,
      mayHaveBeenProcessed: false,
      retryAfterMs: 7_000,
    });
    expect(JSON.parse(JSON.stringify(unavailable))).toMatchObject({ retryAfterMs: 7_000 });
    expect(w.sim.emailCount(OWNER)).toBe(0);
  });

  test('an HTTP-date Retry-After on a 503 becomes the wait until that date', async () => {
    const w = await world();
    // An HTTP-date has whole seconds only, so the wait comes out a little under 7 s.
    w.sim.injectFault({
      count: 1,
      route: 'resend',
      status: 503,
      retryAfter: new Date(Date.now() + 7_000).toISOString(),
    });
    const error = await failure(w.wix.resendInvite(w.siteId, '0092ff87-6028-41cb-92b5-980d5474abcf'));
    expect(error.kind).toBe('unavailable');
    expect(error.retryAfterMs).toBeGreaterThan(5_000);
    expect(error.retryAfterMs).toBeLessThanOrEqual(7_000);
  });

  test('409, 501, 502, 505 and a redirect, which the simulator never sends, map to their kinds and advice', async () => {
    const statuses: number[] = [409, 501, 502, 505, 302, 404];
    const raw = await recordingServer(() => ({
      status: statuses.shift() ?? 200,
      body: '',
      headers: { 'Retry-After': '7', Location: 'http://127.0.0.1:1/elsewhere' },
    }));
    const wix = new WixClient({ baseUrl: raw.url, apiKey: SECRET_KEY });
    const revoke = () => failure(wix.revokeInvite('s', 'i'));
    const expected: [Partial<WixApiError>, RegExp][] = [
      [
        {
          kind: 'conflict',
          status: 409,
          code: 'ALREADY_EXISTS',
          retryable: false,
          mayHaveBeenProcessed: false,
        },
        /^Wix reported a conflict on revokeInvite \(409 ALREADY_EXISTS\): the resource already exists/,
      ],
      [
        {
          kind: 'server-error',
          status: 501,
          code: 'UNIMPLEMENTED',
          retryable: false,
          mayHaveBeenProcessed: true,
        },
        /\(501 UNIMPLEMENTED\): Wix does not implement this call\.$/,
      ],
      [
        { kind: 'server-error', status: 502, retryable: true, mayHaveBeenProcessed: true },
        /^Wix failed on revokeInvite \(HTTP 502\): the request may or may not have been processed; retrying is safe\.$/,
      ],
      [
        { kind: 'server-error', status: 505, retryable: false, mayHaveBeenProcessed: true },
        /^Wix failed on revokeInvite \(HTTP 505\): the request may or may not/,
      ],
      [
        { kind: 'unexpected', status: 302, retryable: false, mayHaveBeenProcessed: true },
        /^Unexpected answer from Wix for revokeInvite \(HTTP 302\): see the Wix message\.$/,
      ],
      [
        { kind: 'not-found', status: 404, retryable: false },
        /^Wix found no invite i on site s for revokeInvite \(404 NOT_FOUND\): check the stored invite id/,
      ],
    ];
    for (const [fields, message] of expected) {
      const error = await revoke();
      expect(error).toMatchObject(fields);
      expect(error.message).toMatch(message);
      // Retry-After counts only on a 429 or a 503.
      expect(error.retryAfterMs).toBeUndefined();
    }
    expect(raw.requests).toHaveLength(6);

    // The same 502 on a call that emails the customer warns against a blind repeat.
    statuses.push(502);
    const bulk = await failure(wix.bulkInvite('s', { policyIds: ['1'], emails: [OWNER] }));
    expect(bulk.message).toMatch(
      /\(HTTP 502\): .*do not repeat blindly, a repeat may email the customer twice\.$/,
    );
  });

  test('injected 500, 503 and 504 are classified for retry and for "may have been processed"', async () => {
    const w = await world();
    const expected: [500 | 503 | 504, WixErrorKind, boolean][] = [
      [500, 'server-error', true],
      [503, 'unavailable', false],
      [504, 'gateway-timeout', true],
    ];
    for (const [status, kind, mayHaveBeenProcessed] of expected) {
      w.sim.injectFault({ count: 1, route: 'resend', status });
      const error = await failure(w.wix.resendInvite(w.siteId, '0092ff87-6028-41cb-92b5-980d5474abcf'));
      expect(error).toMatchObject({
        kind,
        status,
        retryable: true,
        mayHaveBeenProcessed,
        operation: 'resendInvite',
      });
      expect(error.retryAfterMs).toBeUndefined();
    }
  });

  test('a hung call times out as "timeout", which may have been processed', async () => {
    const w = await world({}, { timeoutMs: 300 });
    w.sim.injectFault({ count: 1, route: 'bulk', hang: 'after-processing' });
    const started = Date.now();
    const error = await failure(w.wix.bulkInvite(w.siteId, { policyIds: [ADMIN], emails: [OWNER] }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({
      kind: 'timeout',
      retryable: true,
      mayHaveBeenProcessed: true,
      operation: 'bulkInvite',
    });
    expect(error.message).toMatch(/300 ms/);
    // Indeed it was: the customer got the email.
    expect(w.sim.emailCount(OWNER)).toBe(1);
  });

  test('a closed port is "connection-failed": retryable and surely not processed', async () => {
    const raw = await recordingServer();
    const closedUrl = raw.url;
    await cleanups.pop()!();
    const wix = new WixClient({ baseUrl: closedUrl, apiKey: SECRET_KEY, accountId: 'acc' });
    const error = await failure(wix.bulkInvite('site', { policyIds: ['1'], emails: [OWNER] }));
    expect(error).toMatchObject({
      kind: 'connection-failed',
      code: 'ECONNREFUSED',
      retryable: true,
      mayHaveBeenProcessed: false,
    });
    expect(error.status).toBeUndefined();
    expect(error.message).toContain(closedUrl);
    expectNoSecret(error);
  });

  test('a dropped connection is "connection-lost"; junk answers are "unexpected"', async () => {
    const answers: RawAnswer[] = [
      'destroy',
      { status: 200, body: '<html>' },
      { status: 418, body: 'teapot' },
    ];
    const raw = await recordingServer(() => answers.shift() ?? { status: 200, body: '{}' });
    const wix = new WixClient({ baseUrl: raw.url, apiKey: SECRET_KEY });
    const lost = await failure(wix.revokeInvite('s', 'i'));
    expect(lost).toMatchObject({ kind: 'connection-lost', retryable: true, mayHaveBeenProcessed: true });
    const junk = await failure(wix.revokeInvite('s', 'i'));
    expect(junk).toMatchObject({
      kind: 'unexpected',
      status: 200,
      retryable: false,
      mayHaveBeenProcessed: true,
    });
    const teapot = await failure(wix.revokeInvite('s', 'i'));
    expect(teapot).toMatchObject({ kind: 'unexpected', status: 418, mayHaveBeenProcessed: false });
  });

  test('the API key never appears in a message, JSON, String() or stack, even if Wix echoes it', async () => {
    const raw = await recordingServer((req) => ({
      status: 400,
      body: JSON.stringify({
        message: `bad key ${String(req.headers.authorization)}`,
        details: {
          validationError: {
            fieldViolations: [{ field: 'x', description: `${String(req.headers.authorization)}` }],
          },
        },
      }),
    }));
    const echoed = await failure(
      new WixClient({ baseUrl: raw.url, apiKey: SECRET_KEY }).bulkInvite('s', {
        policyIds: ['1'],
        emails: [OWNER],
      }),
    );
    expect(echoed.kind).toBe('bad-request');
    expect(echoed.message).toContain('[redacted]');
    expectNoSecret(echoed);

    const w = await world({}, { timeoutMs: 200 });
    w.sim.injectFault({ count: 1, route: 'revoke', hang: 'before-processing' });
    w.sim.injectFault({ count: 1, route: 'resend', status: 503 });
    const errors = [
      await failure(w.wix.revokeInvite(w.siteId, '0092ff87-6028-41cb-92b5-980d5474abcf')),
      await failure(w.wix.resendInvite(w.siteId, '0092ff87-6028-41cb-92b5-980d5474abcf')),
      await failure(w.wix.resendInvite(w.siteId, 'nope')),
      await failure(w.wix.resolveRole('Site Boss')),
    ];
    expect(errors.map((e) => e.kind)).toEqual(['timeout', 'unavailable', 'bad-request', 'unknown-role']);
    for (const error of errors) expectNoSecret(error);
    expect(Object.keys(JSON.parse(JSON.stringify(errors[0])) as object).sort()).toEqual(
      ['kind', 'code', 'message', 'mayHaveBeenProcessed', 'name', 'operation', 'retryable'].sort(),
    );
  });
});

describe('resolveRole', () => {
  const rolesCalls = (w: World) => w.sim.calls().filter((c) => c.path === '/roles-management/roles').length;

  test('matches a title case-insensitively, passes ids through, and fetches roles once', async () => {
    const w = await world();
    const [a, b] = await Promise.all([
      w.wix.resolveRole('  admin (co-owner) '),
      w.wix.resolveRole('WEBSITE MANAGER'),
    ]);
    expect(a).toEqual({ id: ADMIN, title: 'Admin (Co-Owner)' });
    expect(b).toEqual({ id: SIMULATOR_ROLES.websiteManager, title: 'Website Manager' });
    expect(await w.wix.resolveRole('Agency Custom Role')).toEqual({
      id: SIMULATOR_ROLES.customRole,
      title: 'Agency Custom Role',
    });
    expect(await w.wix.resolveRole('6732588207941061632')).toEqual({ id: '6732588207941061632' });
    expect(await w.wix.resolveRole('0092ff87-6028-41cb-92b5-980d5474abcf')).toEqual({
      id: '0092ff87-6028-41cb-92b5-980d5474abcf',
    });
    expect(rolesCalls(w)).toBe(1);
  });

  test('an unknown title lists the site-level titles that exist', async () => {
    const w = await world();
    const error = await failure(w.wix.resolveRole('Site Boss'));
    expect(error).toMatchObject({ kind: 'unknown-role', retryable: false, mayHaveBeenProcessed: false });
    expect(error.message).toMatch(
      /^Unknown Wix role "Site Boss"\. Roles available at site level: "Owner", "Admin \(Co-Owner\)", "Website Manager"/,
    );
    expect(error.message).toMatch(/Use one of these titles or a role id\.$/);
    // Restricted from site level, so not offered.
    expect(error.message).not.toContain('Account Admin');
  });

  test('the cache expires after roleCacheTtlMs, and a failed fetch is not cached', async () => {
    const w = await world({}, { roleCacheTtlMs: 100 });
    w.sim.injectFault({ count: 1, route: 'roles', status: 503 });
    expect((await failure(w.wix.resolveRole('Website Manager'))).kind).toBe('unavailable');
    await w.wix.resolveRole('Website Manager');
    await w.wix.resolveRole('Website Designer');
    expect(rolesCalls(w)).toBe(2);
    await new Promise((r) => setTimeout(r, 150));
    w.sim.addRole({ id: '123', title: 'New Role', custom: true });
    expect(await w.wix.resolveRole('new role')).toEqual({ id: '123', title: 'New Role' });
    expect(rolesCalls(w)).toBe(3);
  });
});
