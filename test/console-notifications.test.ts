// Notifications as staff see them, against `npm start` with two endpoints: a healthy receiver and a CRM that
// refuses everything. The console (real Chromium) shows each delivery, redelivers one, marks the failing endpoint
// on the overview and shows the escalation; the CLI prints the same through the service's API.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { axeViolations, launchChromium } from './support/browser';
import { startService, type RunningService } from './support/service';
import { Receiver } from './notify-receiver';

const PORTS = { api: 22080, temporal: 22233, ui: 22234, wix: 22787 };
const TOKEN = 'console-notify-token-0123';
const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const CRM_SECRET = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
const SITE = '8e2b4d6f-1a3c-4e5f-9b7d-2c4e6a8b0d1f';
const MANAGER = 'am@pixel-agency.io';

let service: RunningService;
let healthy: Receiver;
let crm: Receiver;
let browser: Browser;
let page: Page;
let configDir: string;
const problems: string[] = [];

beforeAll(async () => {
  healthy = await Receiver.start({ secrets: [SECRET] });
  crm = await Receiver.start({ secrets: [CRM_SECRET], behaviour: () => 'fail' });
  configDir = mkdtempSync(path.join(tmpdir(), 'notify-config-'));
  const configFile = path.join(configDir, 'notify.json');
  writeFileSync(
    configFile,
    JSON.stringify({ endpoints: [{ name: 'crm', url: crm.url, secretEnv: 'CRM_WEBHOOK_SECRET' }] }),
  );
  service = await startService(PORTS, {
    HANDOFF_API_TOKEN: `alice:${TOKEN}`,
    HANDOFF_NOTIFY_WEBHOOK_URL: healthy.url,
    HANDOFF_NOTIFY_WEBHOOK_SECRET: SECRET,
    HANDOFF_NOTIFY_CONFIG: configFile,
    CRM_WEBHOOK_SECRET: CRM_SECRET,
  });
  browser = await launchChromium();
  page = await (await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' })).newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: .* status of 4\d\d/.test(m.text()))
      problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
  await healthy?.close();
  await crm?.close();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

afterEach(() => {
  expect(problems.splice(0)).toEqual([]);
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}\n${service.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const execFileP = promisify(execFile);
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, HANDOFF_API_URL: service.api, HANDOFF_CLI_TOKEN: TOKEN };
  for (const name of ['HANDOFF_DATABASE_URL', 'HANDOFF_API_TOKEN', 'HANDOFF_NOTIFY_WEBHOOK_URL'])
    delete env[name];
  try {
    const { stdout, stderr } = await execFileP(
      'node',
      [path.resolve(__dirname, '../bin/site-handoff.js'), ...args],
      { env, timeout: 30_000 },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

const typesAt = (receiver: Receiver) =>
  receiver.requests
    .filter((r) => (JSON.parse(r.body) as { data: { siteId: string } }).data.siteId === SITE)
    .map((r) => (JSON.parse(r.body) as { type: string }).type);

test('the console shows every delivery, redelivers one with the same webhook-id, and marks the failing endpoint', async () => {
  const started = await fetch(`${service.api}/v1/events/project-completed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      projectId: 'PRJ-8e2b',
      siteId: SITE,
      customerEmails: ['owner-8e2b@customer.example'],
      role: 'Website Manager',
      policy: { escalateAfter: '5s', escalateTo: MANAGER },
    }),
  });
  expect(started.status).toBe(202);
  await until('handoff.escalated at the healthy endpoint', () =>
    typesAt(healthy).includes('handoff.escalated') ? true : undefined,
  );
  // The CRM refuses: its first attempt and the retry 5 s later, while the healthy endpoint got everything.
  await until('a retried CRM delivery', () => (crm.requests.length >= 2 ? true : undefined), 30_000);

  await page.goto(`${service.api}/`);
  await page.getByLabel('Staff API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.goto(`${service.api}/console/handoffs/handoff-${SITE}`);

  const panel = page.locator('section.notifications');
  await expect(panel.getByRole('heading', { name: 'Notifications' }).isVisible()).resolves.toBe(true);
  const invitedRow = panel.locator('table[data-endpoint="default"] tr[data-type="handoff.invited"]');
  await expect(invitedRow.locator('.state').textContent()).resolves.toBe('delivered');
  const invitedId = (await invitedRow.getAttribute('data-delivery'))!;
  expect(invitedId).toMatch(/^msg_[0-9a-f]{32}$/);
  const crmRow = panel.locator('table[data-endpoint="crm"] tr[data-type="handoff.invited"]');
  await expect(crmRow.locator('.state').textContent()).resolves.toBe('failing (retrying)');
  await expect(crmRow.locator('.result').textContent()).resolves.toContain('HTTP 503');
  await expect(panel.locator('table[data-endpoint="crm"] caption').textContent()).resolves.toMatch(
    /Endpoint crm \(webhook\): 0 of \d+ delivered/,
  );
  // The escalation, as it happened, beside when and to whom.
  await expect(page.locator('dd.escalations').textContent()).resolves.toContain(`not accepted in time on`);
  await expect(page.locator('dd.escalations').textContent()).resolves.toContain(MANAGER);
  await expect(page.locator('dd.policy-escalation').textContent()).resolves.toBe(
    `after 5 seconds without acceptance; on expired, failed, needs attention, to ${MANAGER}`,
  );
  await expect(page.locator('dd.next-check').textContent()).resolves.toMatch(/after an email/);
  expect(await axeViolations(page)).toEqual([]);

  // Redeliver the invited event to the healthy endpoint: a confirmation, then the same webhook-id again.
  const before = healthy.requests.filter((r) => r.id === invitedId).length;
  await invitedRow.getByRole('link', { name: /Redeliver handoff.invited to default/ }).click();
  await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
    'Redeliver handoff.invited to default',
  );
  expect(await axeViolations(page)).toEqual([]);
  await page.getByRole('button', { name: 'Confirm: redeliver' }).click();
  await expect(page.locator('.notice').first().textContent()).resolves.toContain('Redelivery started');
  await until('the redelivered event', () =>
    healthy.requests.filter((r) => r.id === invitedId).length > before ? true : undefined,
  );
  expect(healthy.requests.filter((r) => r.id === invitedId).every((r) => r.verified)).toBe(true);
  await until('the second series in the log', async () => {
    await page.reload();
    const text = await invitedRow.locator('.attempts').textContent();
    return text?.includes('in 2 series') ? true : undefined;
  });

  // The overview: the CRM is failing (no success ever), the default endpoint healthy.
  await page.goto(`${service.api}/console/overview`);
  const endpoints = page.locator('section.endpoint-health');
  await expect(endpoints.locator('tr[data-endpoint="crm"] .state').textContent()).resolves.toBe('failing');
  await expect(endpoints.locator('tr[data-endpoint="crm"]').textContent()).resolves.toContain(
    `handoff-${SITE}`,
  );
  await expect(endpoints.locator('tr[data-endpoint="default"] .state').textContent()).resolves.toBe(
    'healthy',
  );
  expect(await axeViolations(page)).toEqual([]);
}, 150_000);

test('staff change the escalation from the console: a new recipient, and no escalation on failure', async () => {
  await page.goto(`${service.api}/console/handoffs/handoff-${SITE}/change-policy`);
  await page.getByLabel(/^Escalate to/).fill('#accounts');
  await page.getByLabel('fails').uncheck();
  await page.getByRole('button', { name: /^Confirm/ }).click();
  await expect(page.locator('.notice').first().textContent()).resolves.toContain('Changed');
  await expect(page.locator('dd.policy-escalation').textContent()).resolves.toBe(
    'after 5 seconds without acceptance; on expired, needs attention, to #accounts',
  );
  const status = (await (
    await fetch(`${service.api}/v1/handoffs/${SITE}`, { headers: { authorization: `Bearer ${TOKEN}` } })
  ).json()) as { policy: { escalateTo: string; escalateOn: string[] } };
  expect(status.policy).toMatchObject({
    escalateTo: '#accounts',
    escalateOn: ['expired', 'needs_attention'],
  });
}, 60_000);

test('the CLI prints the same deliveries and endpoint health, and redelivers', async () => {
  const deliveries = await cli('deliveries', SITE);
  expect(deliveries.err).toBe('');
  expect(deliveries.code).toBe(0);
  expect(deliveries.out).toMatch(/Endpoint default \(webhook\): \d+ of \d+ delivered/);
  expect(deliveries.out).toMatch(/Endpoint crm \(webhook\): 0 of \d+ delivered/);
  expect(deliveries.out).toMatch(/handoff\.invited\s+msg_[0-9a-f]{32}\s+\d+\s+failing/);

  const json = JSON.parse((await cli('--json', 'deliveries', SITE)).out) as {
    deliveries: { endpoint: string; type: string; deliveryId: string; state: string }[];
  };
  const escalated = json.deliveries.find((d) => d.endpoint === 'default' && d.type === 'handoff.escalated')!;
  expect(escalated.state).toBe('delivered');

  const endpoints = await cli('endpoints');
  expect(endpoints.code).toBe(0);
  expect(endpoints.out).toMatch(/crm\s+webhook\s+failing\s+never/);
  expect(endpoints.out).toMatch(/default\s+webhook\s+healthy/);

  const before = healthy.requests.filter((r) => r.id === escalated.deliveryId).length;
  const redelivered = await cli('redeliver', SITE, escalated.deliveryId);
  expect(redelivered.err).toBe('');
  expect(redelivered.code).toBe(0);
  expect(redelivered.out).toContain(`Redelivery started: ${escalated.deliveryId}`);
  await until('the CLI redelivery', () =>
    healthy.requests.filter((r) => r.id === escalated.deliveryId).length > before ? true : undefined,
  );

  const badId = await cli('redeliver', SITE, 'msg_not-an-id');
  expect(badId.code).toBe(2);
  expect(badId.err).toContain('<webhookId> must look like msg_');
  const unknown = await cli('redeliver', SITE, `msg_${'0'.repeat(32)}`);
  expect(unknown.code).toBe(3);
  expect(unknown.err).toContain(`No delivery msg_${'0'.repeat(32)}`);
  const noHandoff = await cli('deliveries', '00000000-0000-4000-8000-000000000000');
  expect(noHandoff.code).toBe(3);
}, 90_000);
