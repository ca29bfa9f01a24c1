// Issue 13's "Done when", as a user checks it: every change to a running handoff over the HTTP API of the real
// `npm start` (and some from the CLI), each judged on the Wix side through the sandbox simulator's own routes.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import type { HandoffStatus, Weekday } from '../workflows/handoff-types';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startService, type RunningService } from './support/service';

const PORTS = { api: 20080, temporal: 20233, ui: 20234, wix: 20787 };
const TOKEN = `changes-${randomBytes(12).toString('hex')}`;
// The CLI's change commands talk to Temporal directly: it needs the service's payload key, given to both here.
const KEYS = `changes-1:${randomBytes(32).toString('base64')}`;
const STAFF = { authorization: `Bearer ${TOKEN}` };
const ROLE = 'Website Manager';

type View = HandoffStatus & { handoffId: string; runId?: string; source: string };
interface SimInvite {
  id: string;
  email: string;
  status: string;
}
interface OutboxEmail {
  to: string;
  kind: string;
  inviteId: string;
  siteId: string;
}

let service: RunningService;

beforeAll(async () => {
  service = await startService(PORTS, { HANDOFF_API_TOKEN: `ana:${TOKEN}`, HANDOFF_ENCRYPTION_KEYS: KEYS });
}, 120_000);
afterAll(async () => {
  await service?.stop();
});

async function call(
  method: string,
  route: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${service.api}${route}`, {
    method,
    headers: { ...STAFF, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const projectCompleted = (siteId: string, emails: string[]) =>
  fetch(`${service.api}/v1/events/project-completed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      projectId: `PRJ-${siteId.slice(0, 4)}`,
      siteId,
      customerEmails: emails,
      role: ROLE,
    }),
  });

/** Polls the handoff's status until `check` passes. */
async function until(siteId: string, check: (s: View) => boolean, what: string): Promise<View> {
  const deadline = Date.now() + 30_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const { status, json } = await call('GET', `/v1/handoffs/${siteId}`);
    last = json;
    if (status === 200 && check(json as unknown as View)) return json as unknown as View;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`Timed out waiting for ${what}; last status: ${JSON.stringify(last)}`);
}

/** What Wix holds for the site: each invite's status by address, in the order they were made. */
async function wixInvites(siteId: string): Promise<SimInvite[]> {
  const res = await fetch(`${service.simulator}/invites?siteId=${siteId}`);
  return ((await res.json()) as { invites: SimInvite[] }).invites;
}
const statusesOf = async (siteId: string, email: string) =>
  (await wixInvites(siteId)).filter((i) => i.email === email).map((i) => i.status);

async function outbox(siteId: string): Promise<OutboxEmail[]> {
  const res = await fetch(`${service.simulator}/outbox`);
  return ((await res.json()) as { outbox: OutboxEmail[] }).outbox.filter((m) => m.siteId === siteId);
}

/** Every invite Wix ever made for the site got exactly one email, to its own address, and nothing else was sent. */
async function expectOneEmailPerInvite(siteId: string): Promise<void> {
  const [invites, emails] = await Promise.all([wixInvites(siteId), outbox(siteId)]);
  expect(emails.map((m) => [m.inviteId, m.to, m.kind]).sort()).toEqual(
    invites.map((i) => [i.id, i.email, 'invite']).sort(),
  );
}

/**
 * Until Temporal has closed the run. The ledger shows the end a moment before: the run closes only once its end is
 * written (and, after a revoke, Wix's contributors were checked once more).
 */
async function untilClosed(siteId: string): Promise<void> {
  const connection = await Connection.connect({ address: `127.0.0.1:${PORTS.temporal}` });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const { workflowExecutionInfo } = await connection.workflowService.describeWorkflowExecution({
        namespace: 'default',
        execution: { workflowId: `handoff-${siteId}` },
      });
      const running = temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
      if (workflowExecutionInfo?.status !== running) return;
      if (Date.now() > deadline) throw new Error(`handoff-${siteId} did not close`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await connection.close();
  }
}

const inviteeOf = (s: HandoffStatus, email: string) => s.invitees.find((i) => i.email === email);

// ---- the send window, judged with Intl in the test rather than with the workflow's own code ----

const DAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
function local(at: Date, timeZone: string): { date: number; minutes: number; weekday: Weekday } {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return {
    // The local calendar day as a day number, so two days can be told apart by subtraction.
    date: Date.UTC(+parts.year, +parts.month - 1, +parts.day) / 86_400_000,
    minutes: +parts.hour * 60 + +parts.minute,
    weekday: parts.weekday.toLowerCase() as Weekday,
  };
}
const hhmm = (hour: number) => `${String(hour).padStart(2, '0')}:00`;

// ---- the CLI, as a person runs it against the running service ----

const execFileP = promisify(execFile);
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
    HANDOFF_ENCRYPTION_KEYS: KEYS,
    HANDOFF_API_URL: service.api,
    HANDOFF_CLI_TOKEN: TOKEN,
  };
  for (const name of [
    'HANDOFF_DATABASE_URL',
    'HANDOFF_API_TOKEN',
    'HANDOFF_TASK_QUEUE',
    'TEMPORAL_NAMESPACE',
  ])
    delete env[name];
  try {
    const { stdout, stderr } = await execFileP(
      'node',
      [path.resolve(__dirname, '../bin/site-handoff.js'), ...args],
      {
        env,
        timeout: 30_000,
      },
    );
    return { code: 0, out: stdout, err: stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: e.stdout ?? '', err: e.stderr ?? '' };
  }
}

test('every change over the HTTP API of npm start, judged at Wix; refusals with reasons; the send window kept', async () => {
  const site = randomUUID();
  const OWNER = 'owner@cusotmer.example';
  const NEW = 'owner@customer.example';
  const PARTNER = 'partner@customer.example';

  // 1. The project tool says the project is done; the handoff invites the owner.
  expect((await projectCompleted(site, [OWNER])).status).toBe(202);
  const started = await until(site, (s) => s.state === 'pending', 'the first invite');
  const oldInviteId = inviteeOf(started, OWNER)!.inviteId!;
  expect(await statusesOf(site, OWNER)).toEqual(['Pending']);

  // 8. Unknown handoff, unknown invitee: 404, nothing asked of Wix.
  const nobody = randomUUID();
  expect((await call('POST', `/v1/handoffs/${nobody}/pause`, {})).status).toBe(404);
  expect((await call('GET', `/v1/handoffs/${nobody}`)).status).toBe(404);
  const stranger = await call('DELETE', `/v1/handoffs/${site}/invitees/stranger@customer.example`);
  expect(stranger.status).toBe(404);
  expect(stranger.json.error).toMatch(/stranger@customer\.example/);
  expect(
    (await call('POST', `/v1/handoffs/${site}/invitees/stranger@customer.example/replace`, { email: NEW }))
      .status,
  ).toBe(404);
  // A bad address is named by its field, and nothing is sent.
  expect(
    await call('POST', `/v1/handoffs/${site}/invitees/${OWNER}/replace`, { email: 'not-an-address' }),
  ).toMatchObject({ status: 400, json: { problems: [expect.stringMatching(/^email: /)] } });

  // 2. The address had a typo: the right one is invited, the wrong one's invite deleted at Wix.
  const replaced = await call('POST', `/v1/handoffs/${site}/invitees/${OWNER}/replace`, {
    email: NEW,
    reason: 'typo in the domain',
  });
  expect(replaced.status).toBe(200);
  expect(await statusesOf(site, OWNER)).toEqual(['Deleted']);
  expect(await statusesOf(site, NEW)).toEqual(['Pending']);
  await expectOneEmailPerInvite(site);
  const afterReplace = await until(site, (s) => inviteeOf(s, NEW)?.status === 'pending', 'the replacement');
  const newInviteId = inviteeOf(afterReplace, NEW)!.inviteId!;
  expect(newInviteId).not.toBe(oldInviteId);
  expect(inviteeOf(afterReplace, OWNER)).toMatchObject({
    status: 'removed',
    inviteId: oldInviteId,
    replacedBy: NEW,
  });
  expect(inviteeOf(afterReplace, NEW)).toMatchObject({ inviteId: newInviteId, replaces: OWNER });
  const details = afterReplace.audit.map((a) => `${a.event}: ${a.detail ?? ''}`);
  expect(details).toContainEqual(expect.stringMatching(/^invitee replaced: .*cusotmer.*→.*customer.*typo/));
  expect(details).toContainEqual(`invite sent: ${OWNER} (invite ${oldInviteId})`);
  expect(details).toContainEqual(`invite sent: ${NEW} (invite ${newInviteId})`);
  expect(details).toContainEqual(`invite revoked (invitee removed): ${OWNER} (invite ${oldInviteId})`);
  expect(afterReplace.audit).toContainEqual(
    expect.objectContaining({ event: 'invitee replaced', actor: 'ana' }),
  );

  // 3. The business partner too: one invite, one email. Then not after all: their invite deleted at Wix.
  const added = await call('POST', `/v1/handoffs/${site}/invitees`, { email: PARTNER });
  expect(added.status).toBe(200);
  expect(await statusesOf(site, PARTNER)).toEqual(['Pending']);
  await expectOneEmailPerInvite(site);
  expect((await call('DELETE', `/v1/handoffs/${site}/invitees/${PARTNER}`)).status).toBe(200);
  expect(await statusesOf(site, PARTNER)).toEqual(['Deleted']);
  expect(inviteeOf(await until(site, () => true, 'status'), PARTNER)?.status).toBe('removed');
  const last = await call('DELETE', `/v1/handoffs/${site}/invitees/${NEW}`);
  expect(last).toMatchObject({ status: 409, json: { reason: expect.stringMatching(/last invitee/) } });
  expect(await statusesOf(site, NEW)).toEqual(['Pending']);

  // 4. The customer is on holiday: no reminders, and the status says since when.
  const beforePause = Date.now();
  const paused = await call('POST', `/v1/handoffs/${site}/pause`, { reason: 'customer on holiday' });
  expect(paused).toMatchObject({
    status: 200,
    json: { paused: { actor: 'ana', reason: 'customer on holiday' }, nextReminderAt: null },
  });
  const since = Date.parse((paused.json as unknown as View).paused!.since);
  expect(since).toBeGreaterThanOrEqual(beforePause - 5_000);
  expect(since).toBeLessThanOrEqual(Date.now());
  expect((await call('GET', `/v1/handoffs/${site}`)).json).toMatchObject({
    paused: { since: expect.any(String) },
  });
  expect(await call('POST', `/v1/handoffs/${site}/pause`, {})).toMatchObject({
    status: 409,
    json: { reason: expect.stringMatching(/already paused/) },
  });
  const resumed = await call('POST', `/v1/handoffs/${site}/resume`);
  expect(resumed).toMatchObject({ status: 200, json: { paused: null } });
  const due = new Date((resumed.json as unknown as View).nextReminderAt!);
  expect(due.getTime()).toBeGreaterThan(Date.now());

  // 5. Reminders in the customer's hours: a window the reminder now falls outside of, in Auckland, on every day
  //    but the one it falls on. It moves to the window's opening on the next local day.
  const timeZone = 'Pacific/Auckland';
  const dueLocal = local(due, timeZone);
  const hour = Math.floor(dueLocal.minutes / 60);
  const fromHour = hour >= 12 ? hour - 6 : hour + 4;
  const sendWindow = {
    timeZone,
    from: hhmm(fromHour),
    to: hhmm(fromHour + 2),
    days: DAYS.filter((d) => d !== dueLocal.weekday),
  };
  const badZone = await call('PATCH', `/v1/handoffs/${site}/policy`, {
    sendWindow: { ...sendWindow, timeZone: 'Mars/Olympus_Mons' },
  });
  expect(badZone.status).toBe(400);
  expect(badZone.json.problems).toEqual([expect.stringMatching(/sendWindow\.timeZone/)]);
  const windowed = await call('PATCH', `/v1/handoffs/${site}/policy`, { sendWindow });
  expect(windowed.status).toBe(200);
  expect((windowed.json as unknown as View).policy?.sendWindow).toEqual(sendWindow);
  const next = new Date((windowed.json as unknown as View).nextReminderAt!);
  const nextLocal = local(next, timeZone);
  expect(next.getTime()).toBeGreaterThan(due.getTime());
  expect(sendWindow.days).toContain(nextLocal.weekday);
  expect(nextLocal.minutes).toBe(fromHour * 60);
  expect(nextLocal.date - dueLocal.date).toBe(1);
  expect((await call('GET', `/v1/handoffs/${site}`)).json.nextReminderAt).toBe(next.toISOString());
  await expectOneEmailPerInvite(site);

  // 6. The customer says they accepted: staff check now instead of waiting six hours for the next poll.
  const accept = await fetch(`${service.simulator}/invites/${newInviteId}/accept`, { method: 'POST' });
  expect(accept.status).toBe(200);
  const checkedAt = Date.now();
  expect((await call('POST', `/v1/handoffs/${site}/check-acceptance`)).status).toBe(200);
  const accepted = await until(site, (s) => s.state === 'accepted', 'the acceptance');
  expect(Date.now() - checkedAt).toBeLessThan(20_000);
  expect(inviteeOf(accepted, NEW)?.status).toBe('accepted');
  const late = await call('POST', `/v1/handoffs/${site}/pause`, { reason: 'too late' });
  expect(late).toMatchObject({ status: 409, json: { reason: expect.stringMatching(/accepted/) } });
  expect(await statusesOf(site, NEW)).toEqual(['Used']);
  await expectOneEmailPerInvite(site);
}, 90_000);

test('restart after a revoke over the API, and changes from the CLI, judged at Wix', async () => {
  const site = randomUUID();
  const OWNER = 'owner@customer.example';
  const TYPO = 'frank@cusotmer.example';
  const FIXED = 'frank@customer.example';

  expect((await projectCompleted(site, [OWNER])).status).toBe(202);
  await until(site, (s) => s.state === 'pending', 'the first invite');
  // Restarting a running handoff is refused: change it or revoke it first.
  expect(await call('POST', `/v1/handoffs/${site}/restart`, { reason: 'again' })).toMatchObject({
    status: 409,
    json: { reason: expect.stringMatching(/still running/) },
  });
  expect((await call('POST', `/v1/handoffs/${site}/revoke`, { reason: 'wrong contact' })).status).toBe(202);
  const revoked = await until(site, (s) => s.state === 'revoked' && s.source === 'ledger', 'the revoke');
  expect(await statusesOf(site, OWNER)).toEqual(['Deleted']);
  await untilClosed(site);
  // A late duplicate of the event does not bring a revoked handoff back.
  expect((await projectCompleted(site, [OWNER])).status).toBe(409);
  expect(await call('POST', `/v1/handoffs/${site}/restart`, {})).toMatchObject({
    status: 400,
    json: { problems: [expect.stringMatching(/^reason/)] },
  });

  // 7. Staff start it again: a new run, a new invite at Wix, linked to the run that was revoked.
  const restarted = await call('POST', `/v1/handoffs/${site}/restart`, { reason: 'customer asked again' });
  expect(restarted.status).toBe(201);
  expect(restarted.json.runId).not.toBe(revoked.runId);
  const again = await until(
    site,
    (s) => s.state === 'pending' && s.source === 'temporal' && !!s.restartOf,
    'the new run',
  );
  expect(again.restartOf).toMatchObject({
    runId: revoked.runId,
    state: 'revoked',
    reason: 'customer asked again',
  });
  expect(await statusesOf(site, OWNER)).toEqual(['Deleted', 'Pending']);
  const pendingAtWix = (await wixInvites(site)).filter((i) => i.status === 'Pending');
  expect(inviteeOf(again, OWNER)?.inviteId).toBe(pendingAtWix[0].id);
  expect(again.audit).toContainEqual(
    expect.objectContaining({
      event: 'restarted',
      actor: 'ana',
      detail: expect.stringContaining(revoked.runId!),
    }),
  );
  await expectOneEmailPerInvite(site);
  // A repeated event for the new run re-signals it and changes nothing: no new invite, no email.
  expect((await projectCompleted(site, [OWNER])).status).toBe(202);
  await until(
    site,
    (s) => s.audit.some((a) => a.event === 'projectCompleted repeated: nothing new'),
    'the repeated event to be seen',
  );
  expect(await statusesOf(site, OWNER)).toEqual(['Deleted', 'Pending']);
  await expectOneEmailPerInvite(site);

  // The same changes from the CLI: add someone (with a typo), fix the address, then pause.
  const add = await cli('invitee', 'add', site, TYPO, '--actor', 'cli-tester');
  expect(add).toMatchObject({ code: 0, out: expect.stringContaining(`Invited ${TYPO}`) });
  expect(await statusesOf(site, TYPO)).toEqual(['Pending']);
  expect((await call('GET', `/v1/handoffs/${site}`)).json.audit).toContainEqual(
    expect.objectContaining({ event: 'invitee added', actor: 'cli-tester', detail: TYPO }),
  );
  const replace = await cli('invitee', 'replace', site, TYPO, FIXED, '--reason', 'typo', '--json');
  expect(replace.code).toBe(0);
  const afterCli = JSON.parse(replace.out) as HandoffStatus;
  expect(inviteeOf(afterCli, TYPO)).toMatchObject({ status: 'removed', replacedBy: FIXED });
  expect(inviteeOf(afterCli, FIXED)).toMatchObject({ status: 'pending', replaces: TYPO });
  expect(await statusesOf(site, TYPO)).toEqual(['Deleted']);
  expect(await statusesOf(site, FIXED)).toEqual(['Pending']);
  expect(await statusesOf(site, OWNER)).toEqual(['Deleted', 'Pending']);
  await expectOneEmailPerInvite(site);

  const pause = await cli('pause', site, '--reason', 'customer on holiday');
  expect(pause).toMatchObject({ code: 0, out: expect.stringContaining('Reminders paused') });
  expect((await call('GET', `/v1/handoffs/${site}`)).json).toMatchObject({
    paused: { reason: 'customer on holiday', since: expect.any(String) },
    nextReminderAt: null,
  });
  // A refusal from the CLI: exit 4 and the machine's reason.
  const twice = await cli('pause', site);
  expect(twice.code).toBe(4);
  expect(twice.err).toMatch(/already paused/);
  await expectOneEmailPerInvite(site);
}, 90_000);
