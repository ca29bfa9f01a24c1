// The Wix simulator over real HTTP, spoken to with plain fetch: every rule of spec section 10 a client could observe.
import { request } from 'node:http';
import type { RoleInfo, SiteInvite, WixErrorBody } from '../src/wix/client/wire-types';
import { SIMULATOR_ROLES, WixSimulator, type WixSimulatorOptions } from '../src/wix/simulator/wix-simulator';

const DAY = 24 * 60 * 60 * 1000;
const START = Date.parse('2025-03-01T10:15:30.000Z');
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ADMIN = SIMULATOR_ROLES.adminCoOwner;

// Every JSON shape the simulator answers with, all optional, so tests can read any of them.
interface Body extends WixErrorBody {
  invites?: SiteInvite[];
  failedEmails?: string[];
  invite?: SiteInvite;
  contributors?: { accountId?: string; accountOwnerId?: string; email?: string; policyIds?: string[] }[];
  predefinedRoles?: RoleInfo[];
  customRoles?: RoleInfo[];
  newAssignedRoles?: { roleId?: string; assignmentId?: string }[];
  accountId?: string;
  outbox?: unknown[];
  faults?: unknown[];
  error?: string;
}

interface Reply {
  status: number;
  body: Body;
  headers: Headers;
}

interface World {
  sim: WixSimulator;
  accountId: string;
  key: string;
  siteId: string;
  setNow(ms: number): void;
}

const opened: WixSimulator[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

async function world(options: WixSimulatorOptions = {}): Promise<World> {
  let now = START;
  const sim = await WixSimulator.start({ clock: () => now, rateLimitPerMinute: 0, ...options });
  opened.push(sim);
  const accountId = sim.addAccount();
  const key = sim.addApiKey({ accountId });
  const siteId = sim.addSite({ ownerAccountId: accountId });
  return { sim, accountId, key, siteId, setNow: (ms) => (now = ms) };
}

async function call(
  sim: WixSimulator,
  method: string,
  path: string,
  opts: { key?: string; siteId?: string; accountId?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) headers.Authorization = opts.key;
  if (opts.siteId !== undefined) headers['wix-site-id'] = opts.siteId;
  if (opts.accountId !== undefined) headers['wix-account-id'] = opts.accountId;
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers,
    ...(opts.body !== undefined
      ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
      : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Body) : {}, headers: res.headers };
}

const bulk = (w: World, body: unknown, key = w.key) =>
  call(w.sim, 'POST', '/invites/site-invite/bulk', { key, siteId: w.siteId, body });
const resend = (w: World, id: string, body?: unknown) =>
  call(w.sim, 'POST', `/invites/site-invite/${id}/resend`, { key: w.key, siteId: w.siteId, body });
const revoke = (w: World, id: string) =>
  call(w.sim, 'POST', `/invites/site-invite/${id}/revoke`, { key: w.key, siteId: w.siteId });
const fields = (reply: Reply): string[] =>
  (reply.body.details?.validationError?.fieldViolations ?? []).map((v) => v.field ?? '?');

async function inviteOne(w: World, email = 'owner@customer.example'): Promise<string> {
  const reply = await bulk(w, { policyIds: [ADMIN], emails: [email] });
  expect(reply.status).toBe(200);
  return reply.body.invites![0].id!;
}

describe('routing and auth', () => {
  test('unknown routes and wrong methods are 404', async () => {
    const w = await world();
    for (const [method, path] of [
      ['POST', '/invites/site-invite/bulk/'],
      ['GET', '/invites/site-invite/bulk'],
      ['POST', '/invites/site-invite'],
      ['DELETE', '/roles-management/roles'],
      ['GET', '/v1/anything'],
    ]) {
      const reply = await call(w.sim, method, path, { key: w.key, siteId: w.siteId });
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 404 });
    }
  });

  test('a missing, unknown or Bearer-prefixed key is 401 UNAUTHENTICATED and the key is not echoed', async () => {
    const w = await world();
    const body = { policyIds: [ADMIN], emails: ['a@b.example'] };
    for (const key of [undefined, 'not-a-key', `Bearer ${w.key}`]) {
      const reply = await call(w.sim, 'POST', '/invites/site-invite/bulk', { key, siteId: w.siteId, body });
      expect(reply.status).toBe(401);
      expect(reply.body.message).toMatch(/^UNAUTHENTICATED: /);
      expect(reply.body.details?.applicationError?.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(reply.body)).not.toContain(w.key);
    }
    expect(w.sim.outbox()).toHaveLength(0);
  });

  test('403 PERMISSION_DENIED: no site header, a foreign site, a key without Manage Contributors', async () => {
    const w = await world();
    const other = w.sim.addAccount();
    const foreignSite = w.sim.addSite({ ownerAccountId: other });
    const weakKey = w.sim.addApiKey({ accountId: w.accountId, permissions: ['Manage Billing'] });
    const body = { policyIds: [ADMIN], emails: ['a@b.example'] };
    const cases = [
      { key: w.key, body },
      { key: w.key, siteId: foreignSite, body },
      { key: w.key, siteId: 'never-created', body },
      { key: weakKey, siteId: w.siteId, body },
      // The account header does not replace the site header on a site call.
      { key: w.key, accountId: w.accountId, body },
    ];
    for (const opts of cases) {
      const reply = await call(w.sim, 'POST', '/invites/site-invite/bulk', opts);
      expect(reply.status).toBe(403);
      expect(reply.body.details?.applicationError?.code).toBe('PERMISSION_DENIED');
    }
    expect(w.sim.outbox()).toHaveLength(0);
  });

  test('Get Roles Info needs wix-account-id of the key owner; wix-site-id alone is refused', async () => {
    const w = await world();
    expect(
      (await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, siteId: w.siteId })).status,
    ).toBe(403);
    const stranger = w.sim.addAccount();
    expect(
      (await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: stranger })).status,
    ).toBe(403);
    expect(
      (await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId })).status,
    ).toBe(200);
  });

  test('both scope headers: accepted by default, 400 when configured to reject', async () => {
    const lenient = await world();
    const both = { key: lenient.key, siteId: lenient.siteId, accountId: lenient.accountId };
    expect((await call(lenient.sim, 'GET', '/roles-management/v2/contributors/query', both)).status).toBe(
      200,
    );
    const strict = await world({ bothHeaders: 'reject' });
    const reply = await call(strict.sim, 'GET', '/roles-management/v2/contributors/query', {
      key: strict.key,
      siteId: strict.siteId,
      accountId: strict.accountId,
    });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(/not both/);
  });

  test('autoProvision creates an unknown site for the key owner on first use', async () => {
    const w = await world({ autoProvision: true });
    const fresh = '11111111-2222-4333-8444-555555555555';
    const reply = await call(w.sim, 'POST', '/invites/site-invite/bulk', {
      key: w.key,
      siteId: fresh,
      body: { policyIds: [ADMIN], emails: ['x@customer.example'] },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.invites![0].siteId).toBe(fresh);
    expect(w.sim.contributors(fresh)).toEqual([]);
  });
});

describe('Bulk Invite', () => {
  test('a successful invite has every documented field and emails the invitee', async () => {
    const w = await world();
    const reply = await bulk(w, {
      policyIds: [ADMIN],
      emails: ['Owner@Customer.example', 'owner@customer.example', 'other@customer.example'],
      defaultEmailLanguage: 'de',
      unknownField: 'ignored',
    });
    expect(reply.status).toBe(200);
    expect(reply.body.failedEmails).toEqual([]);
    // De-duplicated case-insensitively: the first spelling wins.
    expect(reply.body.invites!.map((i) => i.email)).toEqual([
      'Owner@Customer.example',
      'other@customer.example',
    ]);
    const invite = reply.body.invites![0];
    expect(invite).toMatchObject({
      siteId: w.siteId,
      status: 'Pending',
      policyIds: [ADMIN],
      inviterAccountId: w.accountId,
      inviterId: w.accountId,
      dateCreated: '2025-03-01T10:15:30.000Z',
      expirationDate: '2025-03-31T10:15:30.000Z',
    });
    expect(invite.id).toMatch(GUID);
    expect(invite.acceptLink).toMatch(new RegExp(`^${w.sim.url}/.*token=[\\w-]{10,}`));
    expect(invite).not.toHaveProperty('acceptedByAccountId');
    expect(w.sim.outbox()).toEqual([
      {
        to: 'Owner@Customer.example',
        kind: 'invite',
        inviteId: invite.id,
        siteId: w.siteId,
        at: '2025-03-01T10:15:30.000Z',
        language: 'de',
      },
      expect.objectContaining({ to: 'other@customer.example', kind: 'invite' }),
    ]);
    expect(w.sim.emailCount('owner@customer.EXAMPLE')).toBe(1);
  });

  test('missing or malformed fields are a 400 naming every bad field', async () => {
    const w = await world();
    const empty = await bulk(w, {});
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/^INVALID_ARGUMENT: /);
    expect(fields(empty).sort()).toEqual(['emails', 'policyIds']);

    const wrongTypes = await bulk(w, { policyIds: ADMIN, emails: [], defaultEmailLanguage: 3 });
    expect(fields(wrongTypes).sort()).toEqual(['defaultEmailLanguage', 'emails', 'policyIds']);
    expect(fields(await bulk(w, { policyIds: [ADMIN], emails: ['ok@x.example', 7] }))).toEqual(['emails[1]']);
    expect((await bulk(w, '{not json')).status).toBe(400);
    expect((await bulk(w, [1, 2])).status).toBe(400);
    expect(w.sim.outbox()).toHaveLength(0);
  });

  test('an unknown role or one restricted from site level rejects the whole request', async () => {
    const w = await world();
    const unknown = await bulk(w, { policyIds: [ADMIN, '123'], emails: ['a@customer.example'] });
    expect(unknown.status).toBe(400);
    expect(fields(unknown)).toEqual(['policyIds[1]']);
    const restricted = await bulk(w, {
      policyIds: [SIMULATOR_ROLES.accountAdminCoOwner],
      emails: ['a@customer.example'],
    });
    expect(restricted.status).toBe(400);
    expect(restricted.body.details?.validationError?.fieldViolations?.[0].description).toMatch(/site level/);
    expect(w.sim.invites()).toEqual([]);
  });

  test('per-email failures land in failedEmails while the rest succeed', async () => {
    const w = await world();
    w.sim.addContributor(w.siteId, { policyIds: [ADMIN], email: 'already@customer.example' });
    await inviteOne(w, 'pending@customer.example');
    const reply = await bulk(w, {
      policyIds: [ADMIN],
      emails: [
        'not-an-email',
        'ALREADY@customer.example',
        'Pending@customer.example',
        'new@customer.example',
      ],
    });
    expect(reply.status).toBe(200);
    expect(reply.body.failedEmails).toEqual([
      'not-an-email',
      'ALREADY@customer.example',
      'Pending@customer.example',
    ]);
    expect(reply.body.invites!.map((i) => i.email)).toEqual(['new@customer.example']);
    expect(w.sim.emailCount('pending@customer.example')).toBe(1);
    expect(w.sim.emailCount('already@customer.example')).toBe(0);
  });

  test('the seat limit counts pending invites and contributors', async () => {
    const w = await world();
    const small = w.sim.addSite({ ownerAccountId: w.accountId, seatLimit: 2 });
    w.sim.addContributor(small, { policyIds: [ADMIN] });
    const reply = await call(w.sim, 'POST', '/invites/site-invite/bulk', {
      key: w.key,
      siteId: small,
      body: { policyIds: [ADMIN], emails: ['one@customer.example', 'two@customer.example'] },
    });
    expect(reply.body.invites!.map((i) => i.email)).toEqual(['one@customer.example']);
    expect(reply.body.failedEmails).toEqual(['two@customer.example']);
  });

  test('configurable: invalid email as a 400, duplicate pending invite creates a second one', async () => {
    const strict = await world({ invalidEmail: 'reject' });
    const reply = await bulk(strict, { policyIds: [ADMIN], emails: ['ok@customer.example', 'nope'] });
    expect(reply.status).toBe(400);
    expect(fields(reply)).toEqual(['emails[1]']);

    const dupes = await world({ duplicatePendingInvite: 'create' });
    const first = await inviteOne(dupes);
    const second = await inviteOne(dupes);
    expect(second).not.toBe(first);
    expect(dupes.sim.emailCount('owner@customer.example')).toBe(2);
  });
});

describe('invite lifecycle: expiry, resend, revoke, accept', () => {
  test('an invite expires after 30 days of the simulated clock', async () => {
    const w = await world();
    const id = await inviteOne(w);
    w.setNow(START + 30 * DAY);
    expect(w.sim.invites({ email: 'owner@customer.example' })[0].status).toBe('Pending');
    w.setNow(START + 30 * DAY + 1);
    expect(w.sim.invites({ email: 'OWNER@customer.example' })[0].status).toBe('Expired');
    expect(() => w.sim.acceptInvite(id)).toThrow(/Expired/);
    expect(w.sim.contributors(w.siteId)).toEqual([]);
  });

  test('resend renews an expired or declined invite, keeps its id and sends another email', async () => {
    const w = await world();
    const id = await inviteOne(w);
    w.setNow(START + 40 * DAY);
    const renewed = await resend(w, id, { defaultEmailLanguage: 'fr' });
    expect(renewed.status).toBe(200);
    expect(renewed.body.invite).toMatchObject({
      id,
      status: 'Pending',
      expirationDate: '2025-05-10T10:15:30.000Z',
    });
    w.sim.declineInvite(id);
    expect(w.sim.invites()[0].status).toBe('Declined');
    expect((await resend(w, id)).body.invite?.status).toBe('Pending');
    expect(w.sim.outbox().map((m) => [m.kind, m.language])).toEqual([
      ['invite', undefined],
      ['resend', 'fr'],
      ['resend', undefined],
    ]);
  });

  test('resend: malformed id 400, unknown or other-site id 404, Used/Deleted 428', async () => {
    const w = await world();
    expect((await resend(w, 'not-a-guid')).status).toBe(400);
    const unknown = await resend(w, '0092ff87-6028-41cb-92b5-980d5474abcf');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/^NOT_FOUND: invite 0092ff87/);

    const otherSite = w.sim.addSite({ ownerAccountId: w.accountId });
    const foreign = await call(w.sim, 'POST', '/invites/site-invite/bulk', {
      key: w.key,
      siteId: otherSite,
      body: { policyIds: [ADMIN], emails: ['x@customer.example'] },
    });
    expect((await resend(w, foreign.body.invites![0].id!)).status).toBe(404);

    const used = await inviteOne(w, 'used@customer.example');
    w.sim.acceptInvite(used);
    const deleted = await inviteOne(w, 'deleted@customer.example');
    await revoke(w, deleted);
    for (const id of [used, deleted]) {
      const reply = await resend(w, id);
      expect(reply.status).toBe(428);
      expect(reply.body.details?.applicationError?.code).toBe('FAILED_PRECONDITION');
    }
    expect(w.sim.outbox().filter((m) => m.kind === 'resend')).toHaveLength(0);
  });

  test('revoke: Pending and Expired become Deleted, Deleted again is {}, Used is 428 and keeps the contributor', async () => {
    const w = await world();
    const pending = await inviteOne(w, 'p@customer.example');
    const expiring = await inviteOne(w, 'e@customer.example');
    const accepted = await inviteOne(w, 'a@customer.example');
    const { accountId } = w.sim.acceptInvite(accepted, { accountId: 'c0ffee00-0000-4000-8000-000000000001' });
    w.setNow(START + 31 * DAY);

    for (const id of [pending, expiring])
      expect(await revoke(w, id)).toMatchObject({ status: 200, body: {} });
    expect(await revoke(w, pending)).toMatchObject({ status: 200, body: {} });
    const used = await revoke(w, accepted);
    expect(used.status).toBe(428);
    expect(used.body.message).toMatch(/^FAILED_PRECONDITION: /);
    expect(w.sim.invites().map((i) => [i.email, i.status])).toEqual([
      ['p@customer.example', 'Deleted'],
      ['e@customer.example', 'Deleted'],
      ['a@customer.example', 'Used'],
    ]);
    expect(w.sim.contributors(w.siteId).map((c) => c.accountId)).toEqual([accountId]);
    expect((await revoke(w, '0092ff87-6028-41cb-92b5-980d5474abcf')).status).toBe(404);

    const strict = await world({ revokeDeleted: 'reject' });
    const id = await inviteOne(strict);
    await revoke(strict, id);
    expect((await revoke(strict, id)).status).toBe(428);
  });

  test('accepting makes a contributor with the invite roles; a used invite cannot be accepted again', async () => {
    const w = await world();
    const id = await inviteOne(w);
    const { accountId } = w.sim.acceptInvite(id);
    expect(accountId).toMatch(GUID);
    const [invite] = w.sim.invites();
    expect(invite).toMatchObject({ status: 'Used', acceptedByAccountId: accountId });
    const contributors = w.sim.contributors(w.siteId);
    expect(contributors).toHaveLength(1);
    expect(contributors[0]).toMatchObject({ accountId, policyIds: [ADMIN], email: 'owner@customer.example' });
    expect(contributors[0].accountOwnerId).toMatch(GUID);
    expect(() => w.sim.acceptInvite(id)).toThrow(/Used/);
    expect(() => w.sim.declineInvite(id)).toThrow(/Used/);
    // The accepted address now counts as a contributor: inviting it again fails.
    expect(
      (await bulk(w, { policyIds: [ADMIN], emails: ['owner@customer.example'] })).body.failedEmails,
    ).toEqual(['owner@customer.example']);
  });
});

describe('Contributors and Roles', () => {
  test('query filters by any of the repeated filter.policyIds and returns only account ids', async () => {
    const w = await world();
    const admin = w.sim.addContributor(w.siteId, { policyIds: [ADMIN] });
    const manager = w.sim.addContributor(w.siteId, { policyIds: [SIMULATOR_ROLES.websiteManager] });
    w.sim.addContributor(w.siteId, { policyIds: [SIMULATOR_ROLES.websiteDesigner] });
    const path = '/roles-management/v2/contributors/query';
    const query = (qs: string) => call(w.sim, 'GET', `${path}${qs}`, { key: w.key, siteId: w.siteId });

    const all = await query('');
    expect(all.body.contributors).toHaveLength(3);
    expect(Object.keys(all.body.contributors![0]).sort()).toEqual(['accountId', 'accountOwnerId']);
    const some = await query(`?filter.policyIds=${ADMIN}&filter.policyIds=${SIMULATOR_ROLES.websiteManager}`);
    expect(some.body.contributors!.map((c) => c.accountId)).toEqual([admin, manager]);
    expect((await query(`?filter.policyIds=${ADMIN}`)).body.contributors).toHaveLength(1);
    expect((await query('?filter.locationIds=somewhere')).body.contributors).toEqual([]);
  });

  test('query also tolerates the filter as a JSON body on GET', async () => {
    const w = await world();
    w.sim.addContributor(w.siteId, { policyIds: [ADMIN] });
    w.sim.addContributor(w.siteId, { policyIds: [SIMULATOR_ROLES.websiteManager] });
    const payload = JSON.stringify({ filter: { policyIds: [ADMIN] } });
    const reply = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${w.sim.url}/roles-management/v2/contributors/query`,
        {
          method: 'GET',
          headers: {
            Authorization: w.key,
            'wix-site-id': w.siteId,
            'Content-Type': 'application/json',
            'Content-Length': Buffer.byteLength(payload),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
    expect(reply.status).toBe(200);
    expect((JSON.parse(reply.body) as { contributors: unknown[] }).contributors).toHaveLength(1);
  });

  test('change role replaces roles (PUT or PATCH); remove deletes; unknown accounts are 404', async () => {
    const w = await world();
    const accountId = w.sim.addContributor(w.siteId, { policyIds: [ADMIN] });
    const path = '/roles-management/contributor/change/role';
    const change = (method: string, roleId: string, who = accountId) =>
      call(w.sim, method, path, {
        key: w.key,
        siteId: w.siteId,
        body: { accountId: who, newRoles: [{ roleId }] },
      });

    const put = await change('PUT', SIMULATOR_ROLES.websiteManager);
    expect(put.status).toBe(200);
    expect(put.body.newAssignedRoles?.map((r) => r.roleId)).toEqual([SIMULATOR_ROLES.websiteManager]);
    expect(put.body.newAssignedRoles?.[0].assignmentId).toMatch(/^\d{19}$/);
    expect((await change('PATCH', SIMULATOR_ROLES.websiteDesigner)).status).toBe(200);
    expect(w.sim.contributors(w.siteId)[0].policyIds).toEqual([SIMULATOR_ROLES.websiteDesigner]);
    expect((await change('PUT', SIMULATOR_ROLES.accountAdminCoOwner)).status).toBe(400);
    expect((await change('PUT', ADMIN, 'nobody')).status).toBe(404);

    const remove = (body: unknown) =>
      call(w.sim, 'POST', '/roles-management/contributor/remove', { key: w.key, siteId: w.siteId, body });
    expect(fields(await remove({}))).toEqual(['accountId']);
    expect(await remove({ accountId })).toMatchObject({ status: 200, body: {} });
    expect(w.sim.contributors(w.siteId)).toEqual([]);
    expect((await remove({ accountId })).status).toBe(404);
  });

  test('Get Roles Info honours the role level filter in both spellings', async () => {
    const w = await world();
    w.sim.addRole({ id: '42', title: 'Account Only', restrictFromLevel: 'Site', custom: true });
    const roles = (qs: string) =>
      call(w.sim, 'GET', `/roles-management/roles${qs}`, { key: w.key, accountId: w.accountId });
    const titles = (reply: Reply) => ({
      predefined: (reply.body.predefinedRoles ?? []).map((r) => r.title),
      custom: (reply.body.customRoles ?? []).map((r) => r.title),
    });

    const all = titles(await roles('?locale=en'));
    expect(all.predefined).toEqual(
      expect.arrayContaining([
        'Owner',
        'Account Admin (Co-Owner)',
        'Admin (Co-Owner)',
        'Website Manager',
        'Website Designer',
        'Back Office Manager',
      ]),
    );
    expect(all.custom).toEqual(['Agency Custom Role', 'Account Only']);
    for (const qs of ['?filter.roleLevel=SITE_LEVEL&locale=en', '?filter.role_level=SITE_LEVEL']) {
      const site = titles(await roles(qs));
      expect(site.predefined).toContain('Admin (Co-Owner)');
      expect(site.predefined).not.toContain('Account Admin (Co-Owner)');
      expect(site.custom).toEqual(['Agency Custom Role']);
    }
    const account = titles(await roles('?filter.roleLevel=ACCOUNT_LEVEL'));
    expect(account.predefined).toContain('Account Admin (Co-Owner)');
    expect(account.predefined).not.toContain('Admin (Co-Owner)');
    const bad = await roles('?filter.roleLevel=GALAXY_LEVEL');
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['filter.roleLevel']);
    const admin = (await roles('')).body.predefinedRoles?.find((r) => r.id === ADMIN);
    expect(admin).toMatchObject({ title: 'Admin (Co-Owner)', restrictFromLevel: 'Account' });
  });
});

describe('throttling and faults', () => {
  test('the token bucket answers 429 RESOURCE_EXHAUSTED per API key, with Retry-After only when asked', async () => {
    const w = await world({ rateLimitPerMinute: 3 });
    const otherKey = w.sim.addApiKey({ accountId: w.accountId });
    const query = (key: string) =>
      call(w.sim, 'GET', '/roles-management/v2/contributors/query', { key, siteId: w.siteId });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await query(w.key)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await query(w.key);
    expect(limited.body).toMatchObject({ details: { applicationError: { code: 'RESOURCE_EXHAUSTED' } } });
    expect(limited.headers.get('retry-after')).toBeNull();
    expect((await query(otherKey)).status).toBe(200);

    const withHeader = await world({ rateLimitPerMinute: 1, retryAfterHeader: true });
    await call(withHeader.sim, 'GET', '/roles-management/roles', {
      key: withHeader.key,
      accountId: withHeader.accountId,
    });
    const second = await call(withHeader.sim, 'GET', '/roles-management/roles', {
      key: withHeader.key,
      accountId: withHeader.accountId,
    });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('60');
  });

  test('a 429 or 503 fault sends Retry-After in seconds or as an HTTP-date, also when queued over HTTP', async () => {
    const w = await world({ retryAfterHeader: true });
    const roles = () => call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId });
    w.sim.injectFault({ count: 1, route: 'roles', status: 503, retryAfter: 7 });
    w.sim.injectFault({ count: 1, route: 'roles', status: 429, retryAfter: '2025-03-01T10:15:37Z' });
    w.sim.injectFault({ count: 1, route: 'roles', status: 429, retryAfter: 7 });
    w.sim.injectFault({ count: 1, route: 'roles', status: 503 });
    const unavailable = await roles();
    expect(unavailable).toMatchObject({ status: 503, body: {} });
    expect(unavailable.headers.get('retry-after')).toBe('7');
    const byDate = await roles();
    expect(byDate.status).toBe(429);
    expect(byDate.body).toMatchObject({ details: { applicationError: { code: 'RESOURCE_EXHAUSTED' } } });
    expect(byDate.headers.get('retry-after')).toBe('Sat, 01 Mar 2025 10:15:37 GMT');
    // The fault's own value wins over the simulator-wide 60 s.
    expect((await roles()).headers.get('retry-after')).toBe('7');
    expect((await roles()).headers.get('retry-after')).toBeNull();

    const queued = await call(w.sim, 'POST', '/_simulator/faults', {
      body: { count: 1, route: 'roles', status: 503, retryAfter: 12 },
    });
    expect(queued.status).toBe(200);
    expect((await roles()).headers.get('retry-after')).toBe('12');
    const refused = await call(w.sim, 'POST', '/_simulator/faults', {
      body: { count: 1, status: 500, retryAfter: 12 },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/retryAfter goes only with status 429 or 503/);
    expect(() => w.sim.injectFault({ count: 1, status: 503, retryAfter: 'soon' })).toThrow(/retryAfter/);
    expect(() => w.sim.injectFault({ count: 1, status: 503, retryAfter: -1 })).toThrow(/retryAfter/);
  });

  test('injected statuses hit the next matching calls only and do nothing', async () => {
    const w = await world();
    w.sim.injectFault({ count: 2, route: 'bulk', status: 503 });
    w.sim.injectFault({ count: 1, status: 504 });
    const roles = await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId });
    expect(roles.status).toBe(504);
    expect(roles.body).toEqual({});
    const body = { policyIds: [ADMIN], emails: ['a@customer.example'] };
    expect((await bulk(w, body)).status).toBe(503);
    expect((await bulk(w, body)).status).toBe(503);
    expect(w.sim.outbox()).toHaveLength(0);
    expect((await bulk(w, body)).status).toBe(200);
    expect(w.sim.calls().map((c) => c.status)).toEqual([504, 503, 503, 200]);

    w.sim.injectFault({ count: 5, status: 500 });
    w.sim.clearFaults();
    expect((await bulk(w, { ...body, emails: ['b@customer.example'] })).status).toBe(200);
    expect(() => w.sim.injectFault({ count: 0, status: 500 })).toThrow(/count/);
    expect(() => w.sim.injectFault({ count: 1 })).toThrow(/status, hang or delayMs/);
  });

  test('hang before processing does nothing; hang after processing sends the email; close ends both', async () => {
    const w = await world();
    const body = { policyIds: [ADMIN], emails: ['a@customer.example'] };
    const impatient = () =>
      call(w.sim, 'POST', '/invites/site-invite/bulk', {
        key: w.key,
        siteId: w.siteId,
        body,
        signal: AbortSignal.timeout(300),
      });

    w.sim.injectFault({ count: 1, route: 'bulk', hang: 'before-processing' });
    await expect(impatient()).rejects.toThrow();
    expect(w.sim.invites()).toEqual([]);
    expect(w.sim.outbox()).toHaveLength(0);

    w.sim.injectFault({ count: 1, route: 'bulk', hang: 'after-processing' });
    await expect(impatient()).rejects.toThrow();
    expect(w.sim.invites().map((i) => i.status)).toEqual(['Pending']);
    expect(w.sim.emailCount('a@customer.example')).toBe(1);
    // Status 0: no answer was ever sent.
    expect(w.sim.calls().map((c) => c.status)).toEqual([0, 0]);

    w.sim.injectFault({ count: 1, hang: 'before-processing' });
    const hanging = call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId });
    while (w.sim.calls().length < 3) await new Promise((r) => setTimeout(r, 10));
    await w.sim.close();
    await expect(hanging).rejects.toThrow();
  });

  test('a delay fault answers normally, only later', async () => {
    const w = await world();
    w.sim.injectFault({ count: 1, route: 'roles', delayMs: 250 });
    const started = Date.now();
    const reply = await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId });
    expect(reply.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });
});

describe('control routes under /_simulator/', () => {
  test('play the customer, look inside and inject faults over HTTP', async () => {
    const w = await world();
    const first = await inviteOne(w, 'first@customer.example');
    const second = await inviteOne(w, 'second@customer.example');
    const ctl = (method: string, path: string, body?: unknown) =>
      call(w.sim, method, `/_simulator/${path}`, { body });

    const accepted = await ctl('POST', `invites/${first}/accept`, { accountId: 'acc-1' });
    expect(accepted).toMatchObject({ status: 200, body: { accountId: 'acc-1', invite: { status: 'Used' } } });
    expect((await ctl('POST', `invites/${first}/accept`)).status).toBe(409);
    expect((await ctl('POST', `invites/${second}/accept`, { accountId: 5 })).body.error).toMatch(/accountId/);
    expect((await ctl('POST', `invites/${second}/decline`)).body.invite?.status).toBe('Declined');
    expect((await ctl('POST', 'invites/0092ff87-6028-41cb-92b5-980d5474abcf/decline')).status).toBe(404);

    const listed = await ctl('GET', 'invites?email=FIRST@customer.example');
    expect(listed.body.invites!.map((i) => i.id)).toEqual([first]);
    expect((await ctl('GET', 'outbox')).body.outbox).toHaveLength(2);
    expect((await ctl('GET', `contributors/${w.siteId}`)).body.contributors).toEqual([
      expect.objectContaining({ accountId: 'acc-1', email: 'first@customer.example', policyIds: [ADMIN] }),
    ]);
    expect((await ctl('GET', 'contributors/no-such-site')).status).toBe(404);

    const badFault = await ctl('POST', 'faults', { count: 1, status: 418 });
    expect(badFault.status).toBe(400);
    expect(badFault.body.error).toMatch(/status/);
    expect((await call(w.sim, 'POST', '/_simulator/faults', { body: '{oops' })).body.error).toMatch(/JSON/);
    expect((await ctl('POST', 'faults', { count: 1, route: 'roles', status: 500 })).status).toBe(200);
    expect(
      (await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId })).status,
    ).toBe(500);
    await ctl('POST', 'faults', { count: 1, status: 500 });
    expect((await ctl('DELETE', 'faults')).body).toEqual({ faults: [] });
    expect(
      (await call(w.sim, 'GET', '/roles-management/roles', { key: w.key, accountId: w.accountId })).status,
    ).toBe(200);
    expect((await ctl('GET', 'nothing-here')).body.error).toMatch(/unknown simulator route/);
  });

  test("the invite's acceptLink accepts it", async () => {
    const w = await world();
    const reply = await bulk(w, { policyIds: [ADMIN], emails: ['click@customer.example'] });
    const link = reply.body.invites![0].acceptLink!;
    const clicked = await fetch(link);
    expect(clicked.status).toBe(200);
    expect(w.sim.invites()[0].status).toBe('Used');
    expect(w.sim.contributors(w.siteId)).toHaveLength(1);
  });

  test('an async clock (like Temporal time skipping) drives expiry of Wix calls and hooks', async () => {
    let now = START;
    const sim = await WixSimulator.start({ clock: () => Promise.resolve(now), rateLimitPerMinute: 0 });
    opened.push(sim);
    const accountId = sim.addAccount();
    const w: World = {
      sim,
      accountId,
      key: sim.addApiKey({ accountId }),
      siteId: sim.addSite({ ownerAccountId: accountId }),
      setNow: () => undefined,
    };
    const id = await inviteOne(w);
    now = START + 31 * DAY;
    await sim.syncClock();
    expect(sim.invites()[0].status).toBe('Expired');
    expect((await resend(w, id)).body.invite?.expirationDate).toBe(new Date(now + 30 * DAY).toISOString());
  });
});
