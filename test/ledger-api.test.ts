// The handoff record outlives Temporal: reads, lists, export and erasure through the HTTP API, on the dev server
// with real workers, the Wix simulator and the ledger (PGlite here; test/ledger.test.ts runs it on PostgreSQL too).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parse } from 'csv-parse/sync';
import { startApiUnderTest, type ApiUnderTest } from './support/api-server';
import type { HandoffStatus } from '../workflows/handoff-types';
import { LEDGER_TABLES } from '../src/ledger';
import { sql } from 'kysely';
import { startDevServerEnv, workflowBundle } from './support/temporal';
import { createHarness, projectEvent, type Harness } from './support/handoff-harness';

const OWNER = 'owner@customer.example';
const FAST = { acceptancePoll: '1s' };
const HOSTILE_PROJECT = '=HYPERLINK("x"),<img src=x onerror=alert(1)>';

let env: TestWorkflowEnvironment;
let h: Harness;
let api: ApiUnderTest;
let base: string;

beforeAll(async () => {
  env = await startDevServerEnv();
  await workflowBundle();
  h = await createHarness(env);
  api = await startApiUnderTest({
    client: env.client,
    ledger: h.ledger,
    namespace: 'default',
    taskQueue: h.taskQueue,
    webhookSecrets: [],
    apiTokens: [],
    console: { sessionSecret: 'a-session-secret-for-tests-only-0123456789' },
  });
  base = api.base;
}, 120_000);
afterAll(async () => {
  await api?.close();
  await h?.close();
  await env?.teardown();
});

const call = (method: string, path: string, body?: unknown) => api.call(method, path, body);
const json = (method: string, path: string, body?: unknown) => api.call(method, path, body);
const until = (path: string, check: (s: HandoffStatus) => boolean, what: string) =>
  api.until(path, check, what);

test('a finished handoff is still answered, listed, exported and archived after Temporal forgot it', async () => {
  const siteId = h.sim.addSite({ ownerAccountId: h.accountId });
  await h.withWorker(async () => {
    expect(
      (
        await json(
          'POST',
          '/v1/events/project-completed',
          projectEvent(siteId, { projectId: HOSTILE_PROJECT, policy: FAST }),
        )
      ).status,
    ).toBe(202);
    const pending = await until(`/v1/handoffs/${siteId}`, (s) => s.state === 'pending', 'the invite');
    h.sim.acceptInvite(pending.invitees[0].inviteId!);
    await env.client.workflow.getHandle(`handoff-${siteId}`).result();
  });
  const live = (await json('GET', `/v1/handoffs/${siteId}`)).json;
  expect(live).toMatchObject({ state: 'accepted', source: 'ledger' });

  // Temporal's retention ends: the execution is deleted, as the dev server does after a day.
  const { runId } = await env.client.workflow.getHandle(`handoff-${siteId}`).describe();
  await env.client.workflowService.deleteWorkflowExecution({
    namespace: 'default',
    workflowExecution: { workflowId: `handoff-${siteId}`, runId },
  });
  await expectEventually(async () => {
    await expect(env.client.workflow.getHandle(`handoff-${siteId}`).describe()).rejects.toThrow(/not found/i);
  });

  const after = await json('GET', `/v1/handoffs/${siteId}`);
  expect(after.status).toBe(200);
  expect(after.json).toMatchObject({ state: 'accepted', projectId: HOSTILE_PROJECT, siteId });
  expect((after.json as unknown as HandoffStatus).audit).toEqual((live as unknown as HandoffStatus).audit);

  const list = await json(
    'GET',
    `/v1/handoffs?state=accepted&projectId=${encodeURIComponent(HOSTILE_PROJECT)}`,
  );
  expect(list.json.handoffs).toEqual([
    expect.objectContaining({ handoffId: `handoff-${siteId}`, customers: [OWNER] }),
  ]);
  const counts = await json('GET', '/v1/handoffs/counts?state=accepted');
  expect((counts.json.counts as Record<string, number>).accepted).toBeGreaterThanOrEqual(1);

  const csv = await call('GET', `/v1/handoffs/export?format=csv&siteId=${siteId}`);
  const rows = parse<Record<string, string>>(csv.text, { columns: true });
  expect(rows).toEqual([expect.objectContaining({ handoff_id: `handoff-${siteId}`, state: 'accepted' })]);
  // A spreadsheet must not run the project id as a formula.
  expect(rows[0].project_id).toBe(`'${HOSTILE_PROJECT}`);
  const jsonl = await call('GET', `/v1/handoffs/export?format=jsonl&siteId=${siteId}`);
  const lines = jsonl.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { projectId: string });
  expect(lines.map((l) => l.projectId)).toEqual([HOSTILE_PROJECT]);

  const record = await json('GET', `/v1/handoffs/${siteId}/record`);
  expect(record.json).toMatchObject({
    format: 'site-handoff.ledger.audit-record',
    handoff: { state: 'accepted' },
  });

  expect((await json('GET', '/v1/handoffs?state=bogus')).status).toBe(400);
  expect((await json('GET', '/v1/handoffs/handoff-never-heard-of')).status).toBe(404);
});

test('erasure: refused while the handoff runs, then no trace of the address in any table, counts kept', async () => {
  const siteId = h.sim.addSite({ ownerAccountId: h.accountId });
  const email = 'erase.me@customer.example';
  await h.withWorker(async () => {
    await json(
      'POST',
      '/v1/events/project-completed',
      projectEvent(siteId, { customerEmails: [email], policy: FAST }),
    );
    await until(`/v1/handoffs/${siteId}`, (s) => s.state === 'pending', 'the invite');
    const refused = await json('DELETE', `/v1/customers/${encodeURIComponent(email)}`, {
      confirmEmail: email,
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatch(/still running.*revoke/);

    expect(
      (await json('POST', `/v1/handoffs/${siteId}/revoke`, { reason: 'customer asked', actor: 'staff:ana' }))
        .status,
    ).toBe(202);
    await env.client.workflow.getHandle(`handoff-${siteId}`).result();
  });
  const countsBefore = (await json('GET', '/v1/handoffs/counts')).json.counts;
  expect((await json('DELETE', `/v1/customers/${encodeURIComponent(email)}`, {})).status).toBe(400);
  const erased = await json('DELETE', `/v1/customers/${encodeURIComponent(email)}`, { confirmEmail: email });
  expect(erased.status).toBe(200);
  expect(erased.json.erased).toMatchObject({ handoffs: 1, temporalExecutions: 1 });

  for (const table of LEDGER_TABLES) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(table)} t`.execute(
      h.ledger.db,
    );
    expect(rows.filter((r) => r.row.toLowerCase().includes(email))).toEqual([]);
  }
  expect((await json('GET', '/v1/handoffs/counts')).json.counts).toEqual(countsBefore);
  const after = (await json('GET', `/v1/handoffs/${siteId}`)).json as unknown as HandoffStatus;
  expect(after.state).toBe('revoked');
  expect(after.audit.at(-1)).toMatchObject({ event: 'customer data erased' });
  expect(JSON.stringify(after)).not.toContain(email);
  // Temporal's encrypted copy goes too (the dev server deletes within seconds).
  await expectEventually(async () => {
    await expect(env.client.workflow.getHandle(`handoff-${siteId}`).describe()).rejects.toThrow(/not found/i);
  });
});

async function expectEventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

test('with no staff token the console opens with a warning, and lists the ledger with hostile text escaped', async () => {
  const page = await fetch(`${base}/?projectId=${encodeURIComponent(HOSTILE_PROJECT)}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  const html = await page.text();
  expect(html).toContain(
    'HANDOFF_API_TOKEN is not set: anyone who can reach this console can act on handoffs',
  );
  expect(html).toContain('&lt;img src=x onerror=alert(1)>');
  expect(html).not.toContain('<img src=x');
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)(?![^>]*application\/json)[^>]*>/);
  const counts = await json('GET', `/v1/handoffs/counts?projectId=${encodeURIComponent(HOSTILE_PROJECT)}`);
  expect(counts.json).toMatchObject({ needsStaff: 0 });
});
