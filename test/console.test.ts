// The staff console in a real browser (Debian's Chromium) against `npm start`: dev server, workers, simulator, API.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { render } from 'preact-render-to-string';
import { HandoffDetailPage } from '../src/console/pages/handoff-detail';
import type { HandoffView } from '../src/handoff-client';
import { axeViolations, launchChromium } from './support/browser';
import { startService, type RunningService } from './support/service';

const ALICE = 'alice-token-0123456789';
const BOB = 'bob-token-0123456789';
const PORTS = { api: 19080, temporal: 19233, ui: 19234, wix: 19787 };
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const ZONE = 'America/New_York';
// Screenshots for the README, only when asked: `CONSOLE_SCREENSHOTS=1 npm test -- test/console.test.ts`.
const SHOTS = process.env.CONSOLE_SCREENSHOTS ? path.resolve(__dirname, '../docs/console') : undefined;

const SITES = {
  accepted: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a41',
  revoked: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a42',
  raced: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a43',
  failed: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a44',
  contributor: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a45',
  live: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a46',
  changed: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a47',
  restarted: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a48',
};

let service: RunningService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

async function api<T>(method: string, route: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${service.api}${route}`, {
    method,
    headers: { authorization: `Bearer ${ALICE}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as T };
}

interface Status {
  state: string;
  invitees: { email: string; inviteId: string | null }[];
  alerts: string[];
}

async function waitForState(siteId: string, wanted: (s: Status) => boolean, what: string): Promise<Status> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { status, json } = await api<Status>('GET', `/v1/handoffs/${siteId}`);
    if (status === 200 && wanted(json)) return json;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(json)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startHandoff(
  siteId: string,
  emails: string[],
  extra: Record<string, unknown> = {},
): Promise<void> {
  const { status, json } = await api('POST', '/v1/events/project-completed', {
    projectId: `PRJ-${siteId.slice(-2)}`,
    siteId,
    customerEmails: emails,
    role: 'Website Manager',
    ...extra,
  });
  expect({ status, json }).toMatchObject({ status: 202 });
}

async function acceptAtSimulator(inviteId: string): Promise<string> {
  const res = await fetch(`${service.simulator}/invites/${inviteId}/accept`, { method: 'POST' });
  return ((await res.json()) as { accountId: string }).accountId;
}

/** Checks the page with axe-core and, when asked, keeps a screenshot for the README. */
async function checkPage(name: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations).toEqual([]);
  if (SHOTS) {
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }
}

async function signIn(token: string): Promise<void> {
  await page.goto(`${service.api}/`);
  await page.getByLabel('Staff API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const detail = (siteId: string) => `${service.api}/console/handoffs/handoff-${siteId}`;

beforeAll(async () => {
  service = await startService(PORTS, { HANDOFF_API_TOKEN: `alice:${ALICE},bob:${BOB}` });
  browser = await launchChromium();
  context = await browser.newContext({ timezoneId: ZONE, locale: 'en-US', acceptDownloads: true });
  page = await context.newPage();
  // Any CSP violation or script error is a failure: the console runs with no inline script at all.
  page.on('console', (m) => {
    // A refusal is answered 4xx on purpose, which Chromium logs; everything else (CSP above all) is a failure.
    if (m.type() === 'error' && !/^Failed to load resource: .* status of 4\d\d/.test(m.text()))
      problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.url().includes('/console/assets/') && r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => problems.push(e.message));
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

test('the console refuses a wrong token, signs staff in with an HttpOnly SameSite session, and keeps tokens out of URLs', async () => {
  expect(service.output()).toContain(`Console       http://127.0.0.1:${PORTS.api}/`);
  const start = await page.goto(`${service.api}/`);
  expect(page.url()).toBe(`${service.api}/console/sign-in`);
  expect(start?.headers()['content-security-policy']).toMatch(/script-src 'self'/);
  await checkPage('sign-in');

  await signIn('not-a-staff-token');
  await page.getByText('That token is not one of the staff tokens').waitFor();
  expect(await page.locator('h1').textContent()).toBe('Sign in');

  await signIn(ALICE);
  await page.getByRole('heading', { name: 'Handoffs' }).waitFor();
  expect(await page.locator('.who').textContent()).toContain('Signed in as alice');
  const session = (await context.cookies()).find((c) => c.name === 'handoff_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  expect(session!.value).not.toContain(ALICE);
  expect(page.url()).not.toContain(ALICE);
  expect(await page.content()).not.toContain(ALICE);

  // Staff routes refuse without a session, and a form posted without its CSRF token is refused.
  const anonymous = await fetch(`${service.api}/console/overview`, { redirect: 'manual' });
  expect(anonymous.status).toBe(303);
  const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const forged = await fetch(`${service.api}/console/erase`, {
    method: 'POST',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'email=a%40b.example&confirmEmail=a%40b.example',
  });
  expect(forged.status).toBe(403);
});

test('the list shows new handoffs live, with counts, state filters, search and the viewer’s time zone', async () => {
  await startHandoff(SITES.accepted, ['owner@accepted.example'], {
    projectId: HOSTILE,
    policy: { acceptancePoll: '1s' },
  });
  await startHandoff(SITES.failed, ['owner@failed.example'], { role: 'No Such Role' });
  await waitForState(SITES.accepted, (s) => s.state === 'pending', 'the first invite');
  await waitForState(SITES.failed, (s) => s.state === 'failed', 'the unknown role to fail');

  await page.goto(`${service.api}/`);
  const rowOf = (siteId: string) => page.locator(`tr[data-handoff="handoff-${siteId}"]`);
  await rowOf(SITES.accepted).waitFor();
  // A hostile project id is text, not markup.
  expect(await rowOf(SITES.accepted).locator('td').nth(1).textContent()).toBe(HOSTILE);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  // Started times are in the viewer's zone, named.
  expect(await rowOf(SITES.accepted).locator('time').first().textContent()).toMatch(/EST|EDT/);
  expect(await page.locator('#viewer-zone').textContent()).toBe(ZONE);

  // Started after the page loaded: appears without a reload.
  await startHandoff(SITES.live, ['owner@live.example']);
  await rowOf(SITES.live).waitFor({ timeout: 30_000 });
  await checkPage('handoff-list');

  await page.getByRole('link', { name: /^Needs staff/ }).click();
  await rowOf(SITES.failed).waitFor();
  expect(await rowOf(SITES.accepted).count()).toBe(0);
  await page.getByRole('link', { name: /^pending/ }).click();
  await rowOf(SITES.accepted).waitFor();
  expect(await rowOf(SITES.failed).count()).toBe(0);
  expect(
    await page
      .getByRole('link', { name: /^pending/ })
      .locator('.count')
      .textContent(),
  ).toBe('2');

  await page.goto(`${service.api}/`);
  await page.getByLabel('Customer email').fill('OWNER@live.example');
  await page.getByRole('button', { name: 'Search' }).click();
  await rowOf(SITES.live).waitFor();
  expect(await page.locator('tbody tr').count()).toBe(1);
  await page.goto(`${service.api}/`);
  await page.getByLabel('Site id').fill(SITES.failed);
  await page.getByRole('button', { name: 'Search' }).click();
  await rowOf(SITES.failed).waitFor();
  expect(await page.locator('tbody tr').count()).toBe(1);
});

test('the detail shows invites, timeline and next steps; the sandbox mailbox accept turns it accepted live', async () => {
  await page.goto(detail(SITES.accepted));
  const pending = await waitForState(SITES.accepted, (s) => s.state === 'pending', 'pending');
  await page.getByRole('cell', { name: pending.invitees[0].inviteId! }).waitFor();
  expect(await page.locator('.timeline li').count()).toBeGreaterThan(0);
  // The invite link Wix gave, copied for the customer; the ledger never stores it.
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: service.api });
  await page.getByRole('button', { name: 'Copy link' }).click();
  await page.getByRole('button', { name: 'Copied' }).waitFor();
  const link = await page.evaluate(() => navigator.clipboard.readText());
  expect(link).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${PORTS.wix}/_simulator/accept\\?token=`));
  const { json: record } = await api<Record<string, unknown>>('GET', `/v1/handoffs/${SITES.accepted}/record`);
  expect(JSON.stringify(record)).not.toContain(link);
  expect(await page.locator('.facts').textContent()).toContain(HOSTILE);
  expect(
    await page.getByRole('link', { name: 'Open the workflow in the Temporal UI' }).getAttribute('href'),
  ).toBe(`http://127.0.0.1:${PORTS.ui}/namespaces/default/workflows/handoff-${SITES.accepted}`);
  await checkPage('handoff-detail');

  const mailbox = await context.newPage();
  await mailbox.goto(`${service.api}/console/mailbox`);
  await mailbox.getByRole('button', { name: 'Accept as owner@accepted.example' }).click();
  await mailbox.getByText('Accepted at the simulated Wix').waitFor();
  await mailbox.close();

  // The open detail page turns accepted by itself.
  await page.locator('.facts .state-accepted').waitFor({ timeout: 60_000 });
  expect(await page.locator('.timeline').textContent()).toContain('accepted');
});

test('staff revoke with a reason, and the timeline names them; a revoke the machine no longer allows is refused in words', async () => {
  await startHandoff(SITES.revoked, ['owner@revoked.example']);
  await startHandoff(SITES.raced, ['owner@raced.example'], { policy: { acceptancePoll: '1s' } });
  await waitForState(SITES.revoked, (s) => s.state === 'pending', 'pending');
  const raced = await waitForState(SITES.raced, (s) => s.state === 'pending', 'pending');

  await page.goto(detail(SITES.revoked));
  await page.getByRole('link', { name: 'Revoke…' }).click();
  await checkPage('revoke-confirm');
  await page.getByLabel('Reason (kept in the audit trail)').fill(`Contract cancelled ${HOSTILE}`);
  await page.getByRole('button', { name: 'Confirm: revoke' }).click();
  await page.getByText('Revoked: every pending invite was revoked at Wix.').waitFor();
  await page.locator('.facts .state-revoked').waitFor({ timeout: 30_000 });
  const entry = page.locator('.timeline li', { hasText: 'revoke requested' });
  expect(await entry.textContent()).toContain('alice');
  expect(await entry.textContent()).toContain(`Contract cancelled ${HOSTILE}`);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

  // The customer accepts while staff have the revoke form open: the revoke is refused, in plain words.
  await page.goto(detail(SITES.raced));
  await page.getByRole('link', { name: 'Revoke…' }).click();
  await acceptAtSimulator(raced.invitees[0].inviteId!);
  await waitForState(SITES.raced, (s) => s.state === 'accepted', 'the acceptance');
  await page.getByLabel('Reason (kept in the audit trail)').fill('too late');
  await page.getByRole('button', { name: 'Confirm: revoke' }).click();
  await page.getByRole('alert').filter({ hasText: 'The handoff refused this' }).waitFor();
  expect(await page.getByRole('alert').textContent()).toContain('already ended as accepted');
  await checkPage('refused');
});

test('resend now, retry a failed handoff, and confirm who accepted are recorded under the staff member’s name', async () => {
  await page.goto(detail(SITES.live));
  await page.getByRole('link', { name: 'Resend now…' }).click();
  await page.getByRole('button', { name: 'Confirm: resend now' }).click();
  await page.getByText('Sent: the invite email went out again.').waitFor();
  expect(await page.locator('.timeline').textContent()).toMatch(/resend.*alice/);

  await page.goto(detail(SITES.failed));
  expect(await page.locator('.failure').textContent()).toContain('No Such Role');
  await page.getByRole('link', { name: 'Retry…' }).click();
  await page.getByRole('button', { name: 'Confirm: retry' }).click();
  await page.getByText('Retry sent').waitFor();
  await page.locator('.timeline li', { hasText: 'alice' }).first().waitFor({ timeout: 30_000 });

  await page.goto(detail(SITES.live));
  await page.getByRole('link', { name: 'Confirm who accepted…' }).click();
  await page.getByLabel('Who accepted').selectOption('owner@live.example');
  await page.getByRole('button', { name: 'Confirm: confirm who accepted' }).click();
  await page.locator('.facts .state-accepted').waitFor({ timeout: 30_000 });
  expect(await page.locator('.timeline').textContent()).toMatch(/accepted.*alice/);
});

test('after a revoke that left a contributor, staff remove it from the alert', async () => {
  await startHandoff(SITES.contributor, ['one@contributor.example', 'two@contributor.example']);
  const pending = await waitForState(SITES.contributor, (s) => s.state === 'pending', 'pending');
  const accountId = await acceptAtSimulator(pending.invitees[0].inviteId!);
  await api('POST', `/v1/handoffs/${SITES.contributor}/revoke`, { reason: 'contract cancelled' });
  const revoked = await waitForState(
    SITES.contributor,
    (s) => s.state === 'revoked' && s.alerts.length > 0,
    'the alert',
  );
  // A named token's holder is the actor, through the API as through the console.
  expect((revoked as Status & { audit: { event: string; actor: string }[] }).audit).toContainEqual(
    expect.objectContaining({ event: 'revoke requested', actor: 'alice' }),
  );
  const { json: needing } = await api<{ handoffs: { siteId: string }[] }>(
    'GET',
    '/v1/handoffs?needsStaff=true',
  );
  expect(needing.handoffs.map((h) => h.siteId)).toEqual(
    expect.arrayContaining([SITES.contributor, SITES.failed]),
  );

  await page.goto(detail(SITES.contributor));
  expect(await page.locator('.alerts').textContent()).toContain(accountId);
  await page.getByRole('link', { name: 'Remove a contributor…' }).click();
  expect(await page.getByLabel('Wix account id to remove from the site').inputValue()).toBe(accountId);
  await page.getByRole('button', { name: 'Confirm: remove a contributor' }).click();
  await page
    .getByText('Removed: the account no longer holds a role on the site.')
    .waitFor({ timeout: 60_000 });
  const contributors = (await (
    await fetch(`${service.simulator}/contributors/${SITES.contributor}`)
  ).json()) as {
    contributors: { accountId: string }[];
  };
  expect(contributors.contributors.map((c) => c.accountId)).not.toContain(accountId);
});

test('staff replace an invitee, pause and resume reminders; a change the machine refuses is shown in words', async () => {
  const typo = 'owner@chagned.example';
  const fixed = 'owner@changed.example';
  await startHandoff(SITES.changed, [typo]);
  await waitForState(SITES.changed, (s) => s.state === 'pending', 'pending');
  const row = (email: string) => page.locator(`tr[data-invitee="${email}"]`);

  await page.goto(detail(SITES.changed));
  await page.getByRole('link', { name: 'Replace an invitee…' }).click();
  await page.getByLabel('Address to replace').selectOption(typo);
  await page.getByLabel('New address').fill(fixed);
  await page.getByLabel('Reason (optional, kept in the audit trail)').fill(`typo ${HOSTILE}`);
  await checkPage('replace-invitee');
  await page.getByRole('button', { name: 'Confirm: replace an invitee' }).click();
  await page
    .getByText('Replaced: the new address is invited and the old invite was revoked at Wix.')
    .waitFor();
  // Both addresses stay on the page: the old one removed and replaced, the new one pending.
  expect(await row(typo).textContent()).toContain(`removed (replaced by ${fixed})`);
  expect(await row(fixed).textContent()).toContain(`pending (replaces ${typo})`);
  expect(await page.locator('.timeline li', { hasText: 'invitee replaced' }).textContent()).toContain(
    `by alice: ${typo} → ${fixed}: typo ${HOSTILE}`,
  );
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  // Judged at Wix: the old invite revoked, the new one pending, one email each.
  const { invites } = (await (
    await fetch(`${service.simulator}/invites?siteId=${SITES.changed}`)
  ).json()) as {
    invites: { email: string; status: string }[];
  };
  expect(invites.map((i) => [i.email, i.status])).toEqual([
    [typo, 'Deleted'],
    [fixed, 'Pending'],
  ]);
  for (const to of [typo, fixed]) {
    const { outbox } = (await (await fetch(`${service.simulator}/outbox?to=${to}`)).json()) as {
      outbox: unknown[];
    };
    expect({ to, emails: outbox.length }).toEqual({ to, emails: 1 });
  }

  await page.getByRole('link', { name: 'Pause reminders…' }).click();
  await page.getByLabel('Reason (optional, kept in the audit trail)').fill('customer on holiday');
  await page.getByRole('button', { name: 'Confirm: pause reminders' }).click();
  await page.getByText('Paused: no reminder goes out until staff resume').waitFor();
  const paused = await page.locator('.facts dd.paused').textContent();
  expect(paused).toMatch(/^Reminders paused since .+ by alice \(customer on holiday\)$/);
  expect(await page.locator('.facts').textContent()).toContain('none scheduled');
  expect(await page.getByRole('link', { name: 'Pause reminders…' }).count()).toBe(0);

  // Paused already (say, from another tab): the machine refuses, and the page says why.
  await page.goto(`${detail(SITES.changed)}/pause`);
  await page.getByRole('button', { name: 'Confirm: pause reminders' }).click();
  await page.getByRole('alert').filter({ hasText: 'The handoff refused this' }).waitFor();
  expect(await page.getByRole('alert').textContent()).toContain('reminders are already paused');

  await page.goto(detail(SITES.changed));
  await page.getByRole('link', { name: 'Resume reminders…' }).click();
  await page.getByRole('button', { name: 'Confirm: resume reminders' }).click();
  await page.getByText('Resumed: reminders go out again.').waitFor();
  expect(await page.locator('.facts dd.paused').count()).toBe(0);
  expect(await page.locator('.facts').textContent()).toContain('not paused');
  await page.getByRole('link', { name: 'Pause reminders…' }).waitFor();

  // A bad duration is named by its label, nothing is sent; a good one is in force at once.
  await page.getByRole('link', { name: 'Change the policy…' }).click();
  await page.getByLabel('Reminders after the invite').fill('soon');
  await page.getByRole('button', { name: 'Confirm: change the policy' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: "Reminders (number 1): each reminder must be a duration like '2 days'" })
    .waitFor();
  await checkPage('change-policy');
  await page.getByLabel('Reminders after the invite').fill('1 day, 3 days');
  await page.getByLabel('Check for an acceptance every').fill('2h');
  await page.getByRole('button', { name: 'Confirm: change the policy' }).click();
  await page.getByText('Changed: the new policy is in force for this handoff.').waitFor();
  expect(await page.locator('.policy-reminders').textContent()).toBe('1 day, 3 days after the invite');
  expect(await page.locator('.policy-poll').textContent()).toBe(
    '13 checks in the 18 hours after each email (the first after 10 minutes), then every 2 hours',
  );

  // The one invitee left cannot be removed: that would end the handoff, which is a revoke.
  await page.getByRole('link', { name: 'Remove an invitee…' }).click();
  expect(await page.getByLabel('Invitee to remove').locator('option').allTextContents()).toEqual([
    `${fixed} (pending)`,
  ]);
  await page.getByRole('button', { name: 'Confirm: remove an invitee' }).click();
  await page.getByRole('alert').filter({ hasText: 'The handoff refused this' }).waitFor();
  expect(await page.getByRole('alert').textContent()).toMatch(/last invitee.*revoke it instead/);
  expect(await page.getByLabel('Invitee to remove').inputValue()).toBe(fixed);
});

/** The simulator's invites for a site, as [email, status] in the order they were made. */
async function invitesAt(siteId: string): Promise<string[][]> {
  const { invites } = (await (await fetch(`${service.simulator}/invites?siteId=${siteId}`)).json()) as {
    invites: { email: string; status: string }[];
  };
  return invites.map((i) => [i.email, i.status]);
}

test('staff restart a revoked handoff: a new run, pending and linked to the previous one; a send window set from the policy form shows on the detail', async () => {
  const email = 'owner@restarted.example';
  await startHandoff(SITES.restarted, [email]);
  await waitForState(SITES.restarted, (s) => s.state === 'pending', 'pending');
  await api('POST', `/v1/handoffs/${SITES.restarted}/revoke`, { reason: 'wrong contact' });
  const ended = (await waitForState(
    SITES.restarted,
    (s) => s.state === 'revoked' && Boolean((s as Status & { endedAt?: string }).endedAt),
    'the revoked run to end',
  )) as Status & { runId: string };
  expect(await invitesAt(SITES.restarted)).toEqual([[email, 'Deleted']]);

  // Offered only once the handoff ended, and not after an acceptance (that site was handed over).
  await page.goto(detail(SITES.accepted));
  expect(await page.getByRole('link', { name: 'Restart…' }).count()).toBe(0);
  await page.goto(detail(SITES.restarted));
  await page.getByRole('link', { name: 'Restart…' }).click();
  await page.getByLabel('Reason (kept in the audit trail)').fill(`customer asked again ${HOSTILE}`);
  await page.getByLabel('Addresses to invite (optional, separated by commas)').fill('not-an-email');
  await page.getByRole('button', { name: 'Confirm: restart' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'Addresses to invite (number 1): must be a valid email address' })
    .waitFor();
  await checkPage('restart');
  expect(await page.getByLabel('Addresses to invite (optional, separated by commas)').inputValue()).toBe(
    'not-an-email',
  );
  await page.getByLabel('Addresses to invite (optional, separated by commas)').fill('');
  await page.getByRole('button', { name: 'Confirm: restart' }).click();
  await page.getByText('Restarted: a new run of this handoff invites the customer again.').waitFor();

  // The new run's page: pending, with the restart note and the previous run linked in the Temporal UI.
  await page.locator('.facts .state-pending').waitFor({ timeout: 30_000 });
  expect(await page.locator('.restart-of').textContent()).toContain(
    `Restarted after revoked by alice: customer asked again ${HOSTILE}.`,
  );
  expect(
    await page.getByRole('link', { name: 'The previous run in the Temporal UI' }).getAttribute('href'),
  ).toBe(
    `http://127.0.0.1:${PORTS.ui}/namespaces/default/workflows/handoff-${SITES.restarted}/${ended.runId}`,
  );
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(await page.getByRole('link', { name: 'Revoke…' }).count()).toBe(1);
  // Judged at Wix: the old invite stays revoked, the new one is pending.
  expect(await invitesAt(SITES.restarted)).toEqual([
    [email, 'Deleted'],
    [email, 'Pending'],
  ]);
  await checkPage('restarted-detail');

  // A send window: a zone Wix's customer cannot be in is named by its label, nothing is sent.
  await page.getByRole('link', { name: 'Change the policy…' }).click();
  await page.getByLabel('Customer’s time zone').fill('Mars/Olympus');
  await page.getByLabel('From (local time)').fill('09:00');
  await page.getByLabel('To (local time)').fill('17:00');
  await page.getByRole('button', { name: 'Confirm: change the policy' }).click();
  await page
    .getByRole('alert')
    .filter({ hasText: 'Customer’s time zone: must be an IANA time zone such as Europe/Berlin' })
    .waitFor();
  // Monday to Friday are ticked until staff choose: Friday off here.
  expect(await page.getByLabel('Friday').isChecked()).toBe(true);
  await page.getByLabel('Friday').uncheck();
  await page.getByLabel('Customer’s time zone').fill('Europe/Berlin');
  await page.getByLabel('Expiry warning: a last reminder this long before the invite lapses').fill('3 days');
  await page.getByRole('button', { name: 'Confirm: change the policy' }).click();
  await page.getByText('Changed: the new policy is in force for this handoff.').waitFor();
  const changed = page.locator('.timeline li', { hasText: 'policy changed' });
  expect(await changed.textContent()).toContain(
    '"sendWindow":{"timeZone":"Europe/Berlin","from":"09:00","to":"17:00","days":["mon","tue","wed","thu"]}',
  );
  expect(await changed.textContent()).toContain('"expiryWarning":"3 days"');
  expect(await page.locator('.policy-window').textContent()).toBe('09:00–17:00 Mon–Thu, Europe/Berlin time');
  expect(await page.locator('.policy-expiry-warning').textContent()).toBe(
    'a last reminder 3 days before the invite lapses',
  );
  // The next reminder waits for the customer's hours, in Berlin.
  const { json } = await api<{ nextReminderAt: string }>('GET', `/v1/handoffs/${SITES.restarted}`);
  const berlin = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Berlin',
    weekday: 'short',
    hour: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(json.nextReminderAt));
  expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu),? (09|1[0-6])$/);
});

test('the detail page names the send window’s days in runs and, without the Temporal UI, the previous run by its id', () => {
  const handoff: HandoffView = {
    handoffId: 'handoff-site',
    source: 'temporal',
    state: 'pending',
    siteId: 'site',
    projectId: 'PRJ-1',
    role: 'Website Manager',
    roleId: null,
    invitees: [],
    remindersSent: 0,
    nextReminderAt: null,
    failure: null,
    lastRefusal: null,
    alerts: [],
    restartOf: { runId: 'run-1', state: 'expired', reason: 'asked again', actor: 'alice' },
    policy: {
      reminderOffsetsMs: [86_400_000],
      acceptancePollMs: 3_600_000,
      maxRenewals: 1,
      expiryWarningMs: 3 * 86_400_000,
      sendWindow: {
        timeZone: 'Europe/Berlin',
        from: '09:00',
        to: '17:00',
        days: ['mon', 'tue', 'wed', 'sat'],
      },
    },
    audit: [],
  };
  const frame = { signedIn: true, open: false, sandbox: false, csrfToken: 'x', current: 'handoffs' as const };
  const html = render(HandoffDetailPage({ frame, view: { handoff, actions: [], pollSeconds: 5 } }));
  expect(html).toContain('<dd class="policy-window">09:00–17:00 Mon–Wed, Sat, Europe/Berlin time</dd>');
  expect(html).toContain('a last reminder 3 days before the invite lapses');
  // Without the Temporal UI configured, the previous run is named by its id.
  expect(html).toMatch(/Restarted after expired by alice: asked again\. .*run-1/);
});

test('the overview draws the funnel from the ledger; export downloads; erasure is confirmed and refused while running', async () => {
  await page.goto(`${service.api}/console/overview`);
  const step = (name: string) => page.locator(`td[data-step="${name}"]`).textContent();
  expect(Number(await step('Accepted'))).toBeGreaterThanOrEqual(2);
  expect(Number(await step('Revoked'))).toBeGreaterThanOrEqual(2);
  const { json: listed } = await api<{ handoffs: { inviteIds: string[] }[] }>(
    'GET',
    '/v1/handoffs?limit=500',
  );
  expect(Number(await step('Invited'))).toBe(listed.handoffs.filter((h) => h.inviteIds.length > 0).length);
  // Chart.js drew each chart.
  const drawn = await page.evaluate(() =>
    ['funnel-chart', 'tta-chart', 'weeks-chart'].map(
      (id) =>
        (window as unknown as { Chart: { getChart: (e: unknown) => unknown } }).Chart.getChart(
          document.getElementById(id),
        ) !== undefined,
    ),
  );
  expect(drawn).toEqual([true, true, true]);
  await checkPage('overview');

  await page.goto(`${service.api}/?state=revoked`);
  await page.getByRole('link', { name: 'Export these handoffs…' }).click();
  await page.getByText(/handoffs? match \(state revoked\)/).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download CSV' }).click(),
  ]);
  const csv = await new Promise<string>((resolve, reject) => {
    void download.createReadStream().then((stream) => {
      let text = '';
      stream.on('data', (d: Buffer) => (text += d.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    }, reject);
  });
  expect(csv.split('\n')[0]).toContain('handoff_id');
  expect(csv).toContain(SITES.revoked);
  expect(csv).not.toContain(SITES.accepted);

  await page.goto(`${service.api}/console/erase`);
  await checkPage('erase');
  await page.getByLabel('Customer email').fill('owner@revoked.example');
  await page.getByLabel('Type the address again to confirm').fill('someone@else.example');
  await page.getByRole('button', { name: 'Erase this customer' }).click();
  await page.getByText('The two addresses differ').waitFor();

  // Still running (its retry failed again): refused until revoked.
  await page.getByLabel('Customer email').fill('owner@failed.example');
  await page.getByLabel('Type the address again to confirm').fill('owner@failed.example');
  await page.getByRole('button', { name: 'Erase this customer' }).click();
  await page.getByText(/Refused: handoffs for this address are still running/).waitFor();

  await page.getByLabel('Customer email').fill('owner@revoked.example');
  await page.getByLabel('Type the address again to confirm').fill('owner@revoked.example');
  await page.getByRole('button', { name: 'Erase this customer' }).click();
  await page.getByText(/Erased: the address is gone from 1 handoff/).waitFor();
  const { json } = await api<{ handoffs: unknown[] }>('GET', '/v1/handoffs?email=owner@revoked.example');
  expect(json.handoffs).toEqual([]);

  await page.goto(`${service.api}/console/mailbox`);
  await checkPage('mailbox');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Staff API token').waitFor();
  await page.goto(`${service.api}/`);
  expect(page.url()).toBe(`${service.api}/console/sign-in`);
});
