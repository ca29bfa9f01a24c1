// Ledger benchmark: 100,000 handoffs in PostgreSQL and in PGlite, then the cost of a handoff's writes and of the
// reads staff make (first page, search by email and by project, counts per state). Run: npx ts-node --transpile-only bench/ledger.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openLedger, type Ledger, type LedgerWrite } from '../src/ledger';
import type { HandoffState, InviteeStatusView } from '../workflows/handoff-types';
import { startPostgres } from '../test/support/postgres';

const HANDOFFS = Number(process.env.LEDGER_BENCH_HANDOFFS ?? 100_000);
const BATCH = 10_000;
const RUNS = Number(process.env.LEDGER_BENCH_RUNS ?? 15);
const LIFECYCLES = Number(process.env.LEDGER_BENCH_LIFECYCLES ?? 20);
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Median of RUNS after two warm-up runs (plans cached, pages in memory): the steady-state figure. */
async function measure(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timed(fn));
  return median(times);
}

/** Server-side generated rows, batch by batch: one statement per table and batch instead of 100,000 round trips. */
async function fill(ledger: Ledger): Promise<void> {
  const states = ['pending', 'accepted', 'accepted', 'accepted', 'revoked', 'expired', 'failed', 'inviting'];
  const stateArray = sql`array[${sql.join(states.map((s) => sql.lit(s)))}]::text[]`;
  for (let from = 1; from <= HANDOFFS; from += BATCH) {
    const to = Math.min(HANDOFFS, from + BATCH - 1);
    await ledger.db.transaction().execute(async (trx) => {
      await sql`
        with g as (
          select i, (${stateArray})[1 + i % ${states.length}] as state,
                 ${new Date(T0)}::timestamptz + i * interval '1 minute' as started,
                 'customer' || i || '@example.com' as email,
                 case when i % 3 = 0 then 'partner' || i || '@example.com' end as partner
          from generate_series(${from}::int, ${to}::int) as i)
        insert into handoffs (handoff_id, run_id, version, site_id, project_id, role, state, invitee_emails, invite_ids,
                              started_at, ended_at, last_activity_at, outcome, accepted_by, revoked_by, failure, status)
        select 'handoff-site-' || i, 'run-' || i, 8, 'site-' || i, 'PRJ-' || (i % 5000), 'Admin (Co-Owner)', state,
               array_remove(array[email, partner], null), array['inv-' || i],
               started, case when state in ('accepted', 'revoked', 'expired') then started + interval '3 days' end,
               started + (i % 1000) * interval '1 minute',
               case when state in ('accepted', 'revoked', 'expired') then state end,
               case when state = 'accepted' then email end,
               case when state = 'revoked' then 'staff:ana' end,
               case when state = 'failed' then 'Bulk Invite timed out' end,
               jsonb_build_object('state', state, 'siteId', 'site-' || i, 'projectId', 'PRJ-' || (i % 5000),
                 'role', 'Admin (Co-Owner)', 'roleId', 'role-admin',
                 'invitees', jsonb_build_array(jsonb_build_object('email', email, 'status', 'pending',
                   'inviteId', 'inv-' || i, 'expiresAt', null, 'remindersSent', 1, 'renewals', 0,
                   'acceptedAt', null, 'problem', null)),
                 'remindersSent', 1, 'nextReminderAt', null, 'failure', null, 'lastRefusal', null,
                 'alerts', '[]'::jsonb)
        from g`.execute(trx);
      await sql`
        insert into handoff_invitees (handoff_id, email, status, invite_id, reminders_sent, renewals)
        select 'handoff-site-' || i, 'customer' || i || '@example.com', 'pending', 'inv-' || i, 1, 0
        from generate_series(${from}::int, ${to}::int) as i
        union all
        select 'handoff-site-' || i, 'partner' || i || '@example.com', 'pending', null, 0, 0
        from generate_series(${from}::int, ${to}::int) as i where i % 3 = 0`.execute(trx);
      await sql`
        insert into handoff_audit (handoff_id, seq, at, event, actor, detail)
        select 'handoff-site-' || i, s, ${new Date(T0)}::timestamptz + i * interval '1 minute' + s * interval '1 hour',
               (array['projectCompleted', 'state: inviting', 'invite sent', 'state: pending', 'reminder sent', 'state: done'])[s + 1],
               case when s % 2 = 0 then 'wix' else 'workflow' end, 'customer' || i || '@example.com'
        from generate_series(${from}::int, ${to}::int) as i, generate_series(0, 5) as s`.execute(trx);
    });
  }
  // What autovacuum would have done by now: statistics for the planner, a visibility map for index-only scans.
  await sql`vacuum analyze`.execute(ledger.db);
}

/** Eight writes as the workflow makes them: each the current view and the entries not yet acknowledged. */
function lifecycle(n: number): LedgerWrite[] {
  const email = `bench${n}@customer.example`;
  const at = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
  const steps: { state: HandoffState; invitee: InviteeStatusView['status']; events: string[] }[] = [
    { state: 'inviting', invitee: 'toInvite', events: ['projectCompleted', 'state: inviting'] },
    { state: 'pending', invitee: 'pending', events: ['invite sent', 'state: pending'] },
    { state: 'pending', invitee: 'pending', events: ['reminder sent'] },
    { state: 'pending', invitee: 'pending', events: ['reminder sent'] },
    { state: 'pending', invitee: 'pending', events: ['resend requested', 'reminder sent'] },
    { state: 'pending', invitee: 'pending', events: ['reminder sent'] },
    { state: 'pending', invitee: 'pending', events: ['accepted'] },
    { state: 'accepted', invitee: 'accepted', events: ['state: accepted'] },
  ];
  let seq = 0;
  return steps.map((step, v) => ({
    handoffId: `handoff-bench-${n}`,
    runId: `run-bench-${n}`,
    version: v + 1,
    startedAt: at(0),
    endedAt: step.state === 'accepted' ? at(v) : null,
    status: {
      state: step.state,
      siteId: `bench-${n}`,
      projectId: 'PRJ-BENCH',
      role: 'Admin (Co-Owner)',
      roleId: 'role-admin',
      invitees: [
        {
          email,
          status: step.invitee,
          inviteId: v ? `inv-bench-${n}` : null,
          expiresAt: at(30 * 24 * 60),
          remindersSent: Math.max(0, v - 1),
          renewals: 0,
          acceptedAt: step.invitee === 'accepted' ? at(v) : null,
          problem: null,
        },
      ],
      remindersSent: Math.max(0, v - 1),
      nextReminderAt: null,
      failure: null,
      lastRefusal: null,
      alerts: [],
    },
    audit: step.events.map((event) => ({ seq: seq++, at: at(v), event, actor: 'workflow', detail: email })),
  }));
}

interface Figures {
  fillSeconds: number;
  lifecycleMs: number;
  writeMs: number;
  firstPageStartedMs: number;
  firstPageLastActivityMs: number;
  firstPagePendingMs: number;
  searchEmailMs: number;
  searchProjectMs: number;
  countsMs: number;
  countsProjectMs: number;
  getMs: number;
}

async function run(ledger: Ledger): Promise<Figures> {
  const fillSeconds = (await timed(() => fill(ledger))) / 1000;
  const lifecycles: number[] = [];
  for (let n = 0; n < LIFECYCLES; n++) {
    const writes = lifecycle(n);
    lifecycles.push(
      await timed(async () => {
        for (const w of writes) await ledger.record(w);
      }),
    );
  }
  const lifecycleMs = median(lifecycles);
  const probe = Math.floor(HANDOFFS / 2);
  return {
    fillSeconds,
    lifecycleMs,
    writeMs: lifecycleMs / 8,
    firstPageStartedMs: await measure(() => ledger.list({ sort: 'started', limit: 50 })),
    firstPageLastActivityMs: await measure(() => ledger.list({ sort: 'lastActivity', limit: 50 })),
    firstPagePendingMs: await measure(() => ledger.list({ sort: 'started', state: 'pending', limit: 50 })),
    searchEmailMs: await measure(() =>
      ledger.list({ sort: 'started', email: `Customer${probe}@example.com`, limit: 50 }),
    ),
    searchProjectMs: await measure(() =>
      ledger.list({ sort: 'started', projectId: `PRJ-${probe % 5000}`, limit: 50 }),
    ),
    countsMs: await measure(() => ledger.countByState()),
    countsProjectMs: await measure(() => ledger.countByState({ projectId: `PRJ-${probe % 5000}` })),
    getMs: await measure(() => ledger.get(`handoff-site-${probe}`)),
  };
}

async function main(): Promise<void> {
  const results: Record<string, Figures> = {};
  const postgres = await startPostgres();
  try {
    const ledger = await openLedger({ databaseUrl: postgres.url });
    try {
      results.postgres = await run(ledger);
    } finally {
      await ledger.close();
    }
  } finally {
    await postgres.stop();
  }
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));
  try {
    const ledger = await openLedger({ dataDir: join(dir, 'ledger') });
    try {
      results.pglite = await run(ledger);
    } finally {
      await ledger.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const rows: [string, keyof Figures, number][] = [
    [`fill ${HANDOFFS.toLocaleString('en')} handoffs (s)`, 'fillSeconds', 1],
    ['one lifecycle, 8 writes (ms)', 'lifecycleMs', 1],
    ['one write (ms)', 'writeMs', 2],
    ['first page by start, 50 (ms)', 'firstPageStartedMs', 2],
    ['first page by last activity (ms)', 'firstPageLastActivityMs', 2],
    ['first page, state pending (ms)', 'firstPagePendingMs', 2],
    ['search by email (ms)', 'searchEmailMs', 2],
    ['search by project (ms)', 'searchProjectMs', 2],
    ['counts per state, all (ms)', 'countsMs', 2],
    ['counts per state, one project (ms)', 'countsProjectMs', 2],
    ['get one handoff (ms)', 'getMs', 2],
  ];
  console.log(`ledger benchmark: medians of ${RUNS} runs (${LIFECYCLES} lifecycles)`);
  console.log(`${'figure'.padEnd(38)}${'postgres'.padStart(12)}${'pglite'.padStart(12)}`);
  for (const [label, key, digits] of rows) {
    const cell = (f: Figures) => f[key].toFixed(digits).padStart(12);
    console.log(`${label.padEnd(38)}${cell(results.postgres)}${cell(results.pglite)}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
