/** @jest-environment ./test/support/pglite-environment.ts */
// The handoff ledger against a real PostgreSQL (initdb'd per run) and real PGlite: the same suite, the same SQL.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import { parse as parseCsvCallback } from 'csv-parse';
import { NO_MIGRATIONS, sql, type Kysely } from 'kysely';
import {
  CSV_COLUMNS,
  ErasureRefused,
  InvalidLedgerInput,
  LEDGER_MIGRATIONS,
  LEDGER_METADATA_TABLES,
  LEDGER_TABLES,
  ledgerMigrator,
  openLedger,
  toCsvLines,
  toJsonLines,
  type Ledger,
  type LedgerSummary,
  type LedgerWrite,
  type StoredStatus,
} from '../src/ledger';
import {
  FINAL_STATES,
  HANDOFF_STATES,
  type HandoffState,
  type InviteeStatus,
} from '../workflows/handoff-types';
import type { NativePGliteGlobal } from './support/pglite-environment';
import { startPostgres, type TestPostgres } from './support/postgres';

const { nativePGlite } = globalThis as unknown as NativePGliteGlobal;

interface Backend {
  name: 'postgres' | 'pglite';
  setUp(): Promise<void>;
  tearDown(): Promise<void>;
  open(migrate?: boolean): Promise<Ledger>;
}

const tempDirs: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => tempDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function postgresBackend(): Backend {
  let server: TestPostgres | undefined;
  return {
    name: 'postgres',
    setUp: async () => {
      server = await startPostgres();
    },
    tearDown: async () => server?.stop(),
    open: (migrate = true) => openLedger({ databaseUrl: server!.url, migrate }),
  };
}

function pgliteBackend(): Backend {
  let pglite: PGlite | undefined;
  return {
    name: 'pglite',
    // One instance on a real data directory for the whole suite: PGlite's initdb costs seconds.
    setUp: async () => {
      pglite = await nativePGlite().PGlite.create(join(tempDir('ledger-pglite-'), 'ledger'));
    },
    tearDown: async () => pglite?.close(),
    open: (migrate = true) => openLedger({ pglite: pglite!, migrate }),
  };
}

// ---- Fixtures ----

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

interface Spec {
  n: number;
  state?: HandoffState;
  emails?: string[];
  projectId?: string;
  role?: string;
  /** Minutes after T0. */
  started?: number;
  /** Minutes after the start of the last audit entry. */
  lasted?: number;
  failure?: string | null;
  detail?: string;
}

const siteOf = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const idOf = (n: number): string => `handoff-${siteOf(n)}`;

function inviteeStatusFor(state: HandoffState, k: number): InviteeStatus {
  switch (state) {
    case 'awaitingProject':
    case 'inviting':
      return 'toInvite';
    case 'accepted':
      return k === 0 ? 'accepted' : 'pending';
    case 'revoked':
    case 'revoking':
      return 'revoked';
    case 'expired':
      return 'expired';
    case 'failed':
      return 'unconfirmed';
    default:
      return 'pending';
  }
}

function statusFor(spec: Spec): StoredStatus {
  const state = spec.state ?? 'pending';
  const emails = spec.emails ?? [`owner${spec.n}@customer.example`];
  const started = spec.started ?? spec.n;
  return {
    state,
    siteId: siteOf(spec.n),
    projectId: spec.projectId ?? `PRJ-${spec.n}`,
    role: spec.role ?? 'Admin (Co-Owner)',
    roleId: 'role-admin',
    invitees: emails.map((email, k) => ({
      email,
      status: inviteeStatusFor(state, k),
      inviteId: state === 'inviting' ? null : `inv-${spec.n}-${k}`,
      expiresAt: at(started + 30 * 24 * 60),
      remindersSent: k,
      renewals: 0,
      acceptedAt: inviteeStatusFor(state, k) === 'accepted' ? at(started + 90) : null,
      problem: state === 'failed' ? `Bulk Invite outcome unknown for ${email}` : null,
    })),
    remindersSent: emails.reduce((n, _e, k) => n + k, 0),
    nextReminderAt: state === 'pending' ? at(started + 2 * 24 * 60) : null,
    failure: spec.failure ?? (state === 'failed' ? 'Bulk Invite timed out' : null),
    lastRefusal: null,
    alerts: [],
  };
}

function writeFor(spec: Spec, version = 1): LedgerWrite {
  const state = spec.state ?? 'pending';
  const emails = spec.emails ?? [`owner${spec.n}@customer.example`];
  const started = spec.started ?? spec.n;
  const last = started + (spec.lasted ?? 5);
  const audit = [
    {
      seq: 0,
      at: at(started),
      event: 'projectCompleted',
      actor: 'project-tool',
      detail: `invite ${emails.join(', ')}`,
    },
    ...emails.map((email, k) => ({
      seq: 1 + k,
      at: at(started + 1),
      event: 'invite sent',
      actor: 'wix',
      detail: spec.detail ?? `${email} (invite inv-${spec.n}-${k})`,
    })),
    ...(state === 'revoked'
      ? [
          {
            seq: 1 + emails.length,
            at: at(last - 1),
            event: 'revoke requested',
            actor: 'staff:ana',
            detail: 'wrong site',
          },
        ]
      : []),
    { seq: 2 + emails.length, at: at(last), event: `state: ${state}`, actor: 'workflow' },
  ];
  return {
    handoffId: idOf(spec.n),
    runId: `run-${spec.n}-a`,
    version,
    status: { ...statusFor(spec), audit: [{ at: at(0), event: 'ignored', actor: 'nobody' }] },
    startedAt: at(started),
    endedAt: (FINAL_STATES as readonly string[]).includes(state) ? at(last) : null,
    audit,
  };
}

/** A handoff's life as the activity would write it: each write carries the view and entries not yet acknowledged. */
function lifecycle(n: number, email = `owner${n}@customer.example`): LedgerWrite[] {
  const base = { n, emails: [email], started: 0 };
  const v1 = writeFor({ ...base, state: 'inviting' }, 1);
  const v2 = writeFor({ ...base, state: 'pending', lasted: 10 }, 2);
  const v3 = writeFor({ ...base, state: 'accepted', lasted: 20 }, 3);
  return [
    { ...v1, audit: v1.audit.slice(0, 1) },
    { ...v2, audit: [{ ...v2.audit[1] }, { ...v2.audit[2], seq: 2 }] },
    {
      ...v3,
      audit: [
        { seq: 3, at: at(15), event: 'accepted', actor: 'workflow', detail: email },
        { ...v3.audit[2], seq: 4 },
      ],
    },
  ];
}

const ids = (items: LedgerSummary[]): string[] => items.map((i) => i.handoffId);

async function rowCounts(ledger: Ledger): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of LEDGER_TABLES) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(
      ledger.db,
    );
    counts[table] = rows[0].n;
  }
  return counts;
}

/** Every text, array and jsonb column of every table in the schema that holds `text`, case-insensitively. */
async function columnsHolding(ledger: Ledger, text: string): Promise<string[]> {
  const { rows: columns } = await sql<{ table_name: string; column_name: string }>`
    select table_name, column_name from information_schema.columns
    where table_schema = current_schema() and data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')
    order by table_name, column_name`.execute(ledger.db);
  // The scan itself must see the ledger's tables, or "nothing found" would prove nothing.
  expect(new Set(columns.map((c) => c.table_name))).toEqual(
    new Set([...LEDGER_TABLES, ...LEDGER_METADATA_TABLES, 'ledger_migrations', 'ledger_migrations_lock']),
  );
  const holding: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from ${sql.table(table)} where ${sql.ref(column)}::text ilike ${`%${text}%`}`.execute(
      ledger.db,
    );
    if (rows[0].n > 0) holding.push(`${table}.${column}`);
  }
  return holding;
}

function parseCsv(text: string): Promise<string[][]> {
  return new Promise((resolve, reject) =>
    parseCsvCallback(text, { relax_column_count: false }, (err, records: unknown) =>
      err ? reject(err) : resolve(records as string[][]),
    ),
  );
}

async function collect(lines: AsyncIterable<string>): Promise<string> {
  let text = '';
  for await (const line of lines) text += line;
  return text;
}

const HOSTILE = [
  'He said "hi", then left',
  'line one\nline two\r\nline three',
  '<img src=x onerror=alert(1)>',
  "=cmd|' /C calc'!A0",
  '+SUM(A1:A2)',
  '-2+3',
  '@import',
  "O'Brien; DROP TABLE handoffs; --",
  'tab\tinside, comma',
  'ünïcødé 🚀 \\ backslash',
];

// ---- The suite, once per backend ----

describe.each([postgresBackend(), pgliteBackend()])('ledger on $name', (backend) => {
  let ledger: Ledger | undefined;

  beforeAll(() => backend.setUp(), 60_000);
  afterAll(() => backend.tearDown());
  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
  });

  async function emptyDatabase(): Promise<Ledger> {
    const raw = await backend.open(false);
    await sql`drop schema public cascade`.execute(raw.db);
    await sql`create schema public`.execute(raw.db);
    return raw;
  }

  async function fresh(): Promise<Ledger> {
    await (await emptyDatabase()).close();
    ledger = await backend.open();
    return ledger;
  }

  describe('migrations', () => {
    const names = Object.keys(LEDGER_MIGRATIONS).sort();
    const latest = names[names.length - 1];
    const EMPTY = '(empty)';

    // Data written by the SQL of a schema version, and what the latest ledger must read back from it.
    const seeds: Record<
      string,
      { write(db: Kysely<unknown>): Promise<void>; check(l: Ledger): Promise<void> }
    > = {
      [EMPTY]: {
        write: () => Promise.resolve(),
        check: async (l) => expect((await l.list({ sort: 'started', limit: 10 })).items).toEqual([]),
      },
      '001-initial': {
        write: async (db) => {
          const status = statusFor({ n: 1, state: 'accepted' });
          await sql`insert into handoffs (handoff_id, run_id, version, site_id, project_id, role, state,
                      invitee_emails, invite_ids, started_at, ended_at, last_activity_at, outcome, status)
                    values (${idOf(1)}, 'run-1', 7, ${siteOf(1)}, 'PRJ-1', 'Admin (Co-Owner)', 'accepted',
                      ${['owner1@customer.example']}, ${['inv-1-0']}, ${at(1)}, ${at(95)}, ${at(95)}, 'accepted',
                      ${JSON.stringify(status)})`.execute(db);
          await sql`insert into handoff_invitees (handoff_id, email, status, invite_id, reminders_sent, renewals)
                    values (${idOf(1)}, 'owner1@customer.example', 'accepted', 'inv-1-0', 0, 0)`.execute(db);
          await sql`insert into handoff_audit (handoff_id, seq, at, event, actor, detail)
                    values (${idOf(1)}, 0, ${at(1)}, 'projectCompleted', 'project-tool', 'invite owner1@customer.example')`.execute(
            db,
          );
        },
        check: async (l) => {
          const got = await l.get(idOf(1));
          expect(got).toMatchObject({ state: 'accepted', runId: 'run-1', startedAt: at(1), endedAt: at(95) });
          expect(got?.audit).toEqual([
            {
              at: at(1),
              event: 'projectCompleted',
              actor: 'project-tool',
              detail: 'invite owner1@customer.example',
            },
          ]);
          expect(
            ids((await l.list({ sort: 'started', limit: 10, email: 'OWNER1@customer.example' })).items),
          ).toEqual([idOf(1)]);
          // The stored version still guards: an older write does not replace what the old schema held.
          expect((await l.record(writeFor({ n: 1, state: 'pending' }, 6))).applied).toBe(false);
        },
      },
    };

    it('migrates an empty database to the latest schema, and back down to empty', async () => {
      const raw = await emptyDatabase();
      const migrator = ledgerMigrator(raw.db as unknown as Kysely<unknown>);
      const up = await migrator.migrateToLatest();
      expect(up.error).toBeUndefined();
      expect(up.results?.map((r) => [r.migrationName, r.status])).toEqual(names.map((n) => [n, 'Success']));
      expect((await migrator.getMigrations()).every((m) => m.executedAt instanceof Date)).toBe(true);
      const { rows: indexes } = await sql<{ indexname: string }>`
        select indexname from pg_indexes where schemaname = 'public' order by indexname`.execute(raw.db);
      expect(indexes.map((i) => i.indexname)).toEqual(
        expect.arrayContaining([
          'handoffs_started',
          'handoffs_last_activity',
          'handoffs_state_started',
          'handoffs_project_started',
          'handoff_invitees_email',
          'handoff_audit_pk',
        ]),
      );
      // Opening an up-to-date ledger runs nothing again.
      expect((await migrator.migrateToLatest()).results).toEqual([]);
      const down = await migrator.migrateTo(NO_MIGRATIONS);
      expect(down.error).toBeUndefined();
      const { rows: tables } = await sql<{ n: number }>`
        select count(*)::int as n from information_schema.tables
        where table_schema = 'public' and table_name in ('handoffs', 'handoff_invitees', 'handoff_audit')`.execute(
        raw.db,
      );
      expect(tables[0].n).toBe(0);
      await raw.close();
    });

    it('upgrades from the version before the latest, keeping its data', async () => {
      const previous = names.length > 1 ? names[names.length - 2] : NO_MIGRATIONS;
      const key = typeof previous === 'string' ? previous : EMPTY;
      // A new migration needs a seed written with the SQL of the version before it.
      expect(Object.keys(seeds)).toContain(key);
      await upgradeWith(previous, seeds[key]);
    });

    it.each(Object.keys(seeds))('upgrades data written at %s to the latest', async (key) => {
      await upgradeWith(key === EMPTY ? NO_MIGRATIONS : key, seeds[key]);
    });

    async function upgradeWith(
      from: string | typeof NO_MIGRATIONS,
      seed: { write(db: Kysely<unknown>): Promise<void>; check(l: Ledger): Promise<void> },
    ): Promise<void> {
      const raw = await emptyDatabase();
      const db = raw.db as unknown as Kysely<unknown>;
      const step = await ledgerMigrator(db).migrateTo(from);
      expect(step.error).toBeUndefined();
      await seed.write(db);
      await raw.close();
      ledger = await backend.open();
      const applied = (await ledgerMigrator(ledger.db as unknown as Kysely<unknown>).getMigrations()).filter(
        (m) => m.executedAt,
      );
      expect(applied.map((m) => m.name)).toEqual(names);
      expect(names).toContain(latest);
      await seed.check(ledger);
    }
  });

  describe('record', () => {
    it('stores a lifecycle, and a repeated write writes nothing', async () => {
      const l = await fresh();
      const writes = lifecycle(1);
      expect(await l.record(writes[0])).toEqual({ applied: true, auditInserted: 1 });
      expect(await l.record(writes[1])).toEqual({ applied: true, auditInserted: 2 });
      const before = await rowCounts(l);
      const { rows: stamp } = await sql<{ recorded_at: Date; xmin: string }>`
        select recorded_at, xmin::text from handoffs`.execute(l.db);
      expect(await l.record(writes[1])).toEqual({ applied: false, auditInserted: 0 });
      expect(await l.record(writes[0])).toEqual({ applied: false, auditInserted: 0 });
      expect(await rowCounts(l)).toEqual(before);
      // xmin changes with any update of the row: none happened.
      expect(
        (
          await sql<{
            recorded_at: Date;
            xmin: string;
          }>`select recorded_at, xmin::text from handoffs`.execute(l.db)
        ).rows,
      ).toEqual(stamp);
      expect(await l.record(writes[2])).toEqual({ applied: true, auditInserted: 2 });
      expect(await rowCounts(l)).toEqual({ handoffs: 1, handoff_invitees: 1, handoff_audit: 5 });
      const got = await l.get(idOf(1));
      expect(got?.state).toBe('accepted');
      expect(got?.audit.map((a) => a.event)).toEqual([
        'projectCompleted',
        'invite sent',
        'state: pending',
        'accepted',
        'state: accepted',
      ]);
    });

    it('never lets an older version overwrite a newer one, yet keeps the audit entries only it carried', async () => {
      const l = await fresh();
      const [v1, v2, v3] = lifecycle(2);
      await l.record(v1);
      await l.record(v3);
      const newer = await l.get(idOf(2));
      // The retried v2 arrives last: its view is old, its two entries were never stored.
      expect(await l.record(v2)).toEqual({ applied: false, auditInserted: 2 });
      const after = await l.get(idOf(2));
      expect({ ...after, audit: [] }).toEqual({ ...newer, audit: [] });
      expect(after?.state).toBe('accepted');
      expect(after?.audit.map((a) => a.event)).toEqual([
        'projectCompleted',
        'invite sent',
        'state: pending',
        'accepted',
        'state: accepted',
      ]);
      const [summary] = (await l.list({ sort: 'started', limit: 1 })).items;
      expect(summary).toMatchObject({
        version: 3,
        state: 'accepted',
        outcome: 'accepted',
        acceptedBy: 'owner2@customer.example',
      });
      // The same version again with other content is a repeat, not an update.
      expect(await l.record({ ...v3, status: { ...v3.status, state: 'failed' }, audit: [] })).toEqual({
        applied: false,
        auditInserted: 0,
      });
      expect((await l.get(idOf(2)))?.state).toBe('accepted');
    });

    it('keeps the newest version when writes race', async () => {
      const l = await fresh();
      const writes = Array.from({ length: 12 }, (_, v) =>
        writeFor(
          { n: 3, state: v === 11 ? 'revoked' : 'pending', emails: [`o${v}@customer.example`] },
          v + 1,
        ),
      );
      const results = await Promise.all([...writes].reverse().map((w) => l.record(w)));
      expect(results.filter((r) => r.applied).length).toBeGreaterThanOrEqual(1);
      const got = await l.get(idOf(3));
      expect(got?.state).toBe('revoked');
      expect(got?.invitees.map((i) => i.email)).toEqual(['o11@customer.example']);
      const record = await l.auditRecord(idOf(3));
      expect(record?.invitees.map((i) => i.email)).toEqual(['o11@customer.example']);
      expect(record?.handoff).toMatchObject({ version: 12, revokedBy: 'staff:ana', outcome: 'revoked' });
    });

    it('returns the status shape of the API, audit from the ledger in seq order', async () => {
      const l = await fresh();
      expect(await l.get(idOf(4))).toBeUndefined();
      const write = writeFor(
        { n: 4, state: 'revoked', emails: ['a@customer.example', 'b@customer.example'] },
        9,
      );
      await l.record({ ...write, audit: [...write.audit].reverse() });
      const { audit: _ignored, ...status } = write.status;
      expect(await l.get(idOf(4))).toEqual({
        ...status,
        audit: write.audit.map(({ seq: _seq, ...entry }) => entry),
        handoffId: idOf(4),
        runId: 'run-4-a',
        startedAt: write.startedAt,
        endedAt: write.endedAt,
      });
    });

    it('refuses malformed writes', async () => {
      const l = await fresh();
      const good = writeFor({ n: 5 });
      await expect(l.record({ ...good, version: -1 })).rejects.toThrow(InvalidLedgerInput);
      await expect(l.record({ ...good, version: 1.5 })).rejects.toThrow(InvalidLedgerInput);
      await expect(l.record({ ...good, startedAt: 'yesterday' })).rejects.toThrow(InvalidLedgerInput);
      await expect(
        l.record({ ...good, status: { ...good.status, state: 'lost' as HandoffState } }),
      ).rejects.toThrow(InvalidLedgerInput);
      await expect(l.record({ ...good, audit: [{ ...good.audit[0], seq: -3 }] })).rejects.toThrow(
        InvalidLedgerInput,
      );
      expect(await rowCounts(l)).toEqual({ handoffs: 0, handoff_invitees: 0, handoff_audit: 0 });
    });
  });

  describe('list, search and counts', () => {
    const specs: Spec[] = [
      {
        n: 10,
        state: 'pending',
        projectId: 'PRJ-A',
        started: 10,
        lasted: 300,
        emails: ['Ann@Customer.example'],
      },
      {
        n: 11,
        state: 'accepted',
        projectId: 'PRJ-A',
        started: 20,
        lasted: 5,
        emails: ['bob@customer.example'],
      },
      {
        n: 12,
        state: 'revoked',
        projectId: 'PRJ-B',
        started: 30,
        lasted: 100,
        emails: ['ann@customer.example', 'cy@x.example'],
      },
      {
        n: 13,
        state: 'failed',
        projectId: 'PRJ-B',
        started: 40,
        lasted: 1,
        emails: ['dee@customer.example'],
      },
      {
        n: 14,
        state: 'expired',
        projectId: 'PRJ-C',
        started: 50,
        lasted: 60 * 24,
        emails: ['annie@customer.example'],
      },
      {
        n: 15,
        state: 'pending',
        projectId: 'PRJ-C',
        started: 50,
        lasted: 50,
        emails: ['eve@customer.example'],
      },
      {
        n: 16,
        state: 'inviting',
        projectId: 'PRJ-A',
        started: 70,
        lasted: 2,
        emails: ['ann@customer.example'],
      },
      { n: 17, state: 'awaitingProject', projectId: 'PRJ-D', started: 80, lasted: 3, emails: [] },
    ];
    const startOf = (s: Spec) => at(s.started!);
    const lastOf = (s: Spec) => at(s.started! + s.lasted!);

    async function seeded(): Promise<Ledger> {
      const l = await fresh();
      for (const s of specs) await l.record(writeFor(s));
      return l;
    }

    const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    const expectIds = (
      pick: (s: Spec) => boolean,
      by: (s: Spec) => string,
      order: 'asc' | 'desc' = 'desc',
    ) => {
      const sorted = specs
        .filter(pick)
        .sort((a, b) => compare(by(a), by(b)) || compare(idOf(a.n), idOf(b.n)))
        .map((s) => idOf(s.n));
      return order === 'asc' ? sorted : sorted.reverse();
    };

    it('filters by each field and sorts both ways by either key', async () => {
      const l = await seeded();
      const all = (query: Omit<Parameters<Ledger['list']>[0], 'limit'>) => l.list({ ...query, limit: 100 });
      for (const order of ['asc', 'desc'] as const) {
        expect(ids((await all({ sort: 'started', order })).items)).toEqual(
          expectIds(() => true, startOf, order),
        );
        expect(ids((await all({ sort: 'lastActivity', order })).items)).toEqual(
          expectIds(() => true, lastOf, order),
        );
      }
      expect(ids((await all({ sort: 'started', state: 'pending' })).items)).toEqual(
        expectIds((s) => s.state === 'pending', startOf),
      );
      expect(ids((await all({ sort: 'started', projectId: 'PRJ-A' })).items)).toEqual(
        expectIds((s) => s.projectId === 'PRJ-A', startOf),
      );
      expect(ids((await all({ sort: 'started', siteId: siteOf(13) })).items)).toEqual([idOf(13)]);
      // Any invitee, any case, the exact address only (annie@ is not ann@).
      expect(ids((await all({ sort: 'started', email: ' ANN@customer.EXAMPLE ' })).items)).toEqual([
        idOf(16),
        idOf(12),
        idOf(10),
      ]);
      expect(ids((await all({ sort: 'started', email: 'nobody@customer.example' })).items)).toEqual([]);
      expect(ids((await all({ sort: 'started', startedFrom: at(30), startedTo: at(50) })).items)).toEqual([
        idOf(13),
        idOf(12),
      ]);
      expect(
        ids(
          (
            await all({
              sort: 'lastActivity',
              order: 'asc',
              email: 'ann@customer.example',
              projectId: 'PRJ-A',
            })
          ).items,
        ),
      ).toEqual([idOf(16), idOf(10)]);
      const [revoked] = (await all({ sort: 'started', state: 'revoked' })).items;
      expect(revoked).toEqual({
        handoffId: idOf(12),
        runId: 'run-12-a',
        version: 1,
        state: 'revoked',
        siteId: siteOf(12),
        projectId: 'PRJ-B',
        role: 'Admin (Co-Owner)',
        inviteeEmails: ['ann@customer.example', 'cy@x.example'],
        inviteIds: ['inv-12-0', 'inv-12-1'],
        startedAt: at(30),
        endedAt: at(130),
        lastActivityAt: at(130),
        outcome: 'revoked',
        acceptedBy: null,
        revokedBy: 'staff:ana',
        failure: null,
        nextReminderAt: null,
        expiresAt: null,
        needsStaff: false,
      });
    });

    it('shows what is next and what needs staff, and filters by it', async () => {
      const l = await seeded();
      const all = (query: Omit<Parameters<Ledger['list']>[0], 'limit'>) => l.list({ ...query, limit: 100 });
      const pending = specs.find((s) => s.state === 'pending')!;
      const [row] = (await all({ sort: 'started', siteId: siteOf(pending.n) })).items;
      expect(row).toMatchObject({
        nextReminderAt: at(pending.started! + 2 * 24 * 60),
        expiresAt: at(pending.started! + 30 * 24 * 60),
        needsStaff: false,
      });
      const failed = specs.filter((s) => s.state === 'failed').map((s) => idOf(s.n));
      expect(failed.length).toBeGreaterThan(0);
      // An alert makes a handoff need staff whatever its state.
      const alerted = writeFor({ n: 90, state: 'revoked', started: 5 });
      await l.record({
        ...alerted,
        status: { ...alerted.status, alerts: ['Wix account a1 holds role Admin'] },
      });
      const needing = [...failed, idOf(90)].sort();
      expect(ids((await all({ sort: 'started', needsStaff: true })).items).sort()).toEqual(needing);
      expect(await l.countNeedingStaff()).toBe(needing.length);
      expect(await l.countNeedingStaff({ siteId: siteOf(90) })).toBe(1);
    });

    it('draws the overview from SQL: funnel, time to accept and starts per week, over a date range', async () => {
      const l = await seeded();
      const count = (pick: (s: Spec) => boolean) => specs.filter(pick).length;
      const invited = (s: Spec) => s.state !== 'inviting' && s.state !== 'awaitingProject';
      const overview = await l.overview();
      expect(overview.funnel).toEqual({
        started: specs.length,
        invited: count(invited),
        // statusFor gives the k-th invitee k reminders: reminded means two invitees or more.
        reminded: count((s) => (s.emails ?? ['x']).length > 1),
        accepted: count((s) => s.state === 'accepted'),
        expired: count((s) => s.state === 'expired'),
        revoked: count((s) => s.state === 'revoked'),
        failed: count((s) => s.state === 'failed'),
        open: count(
          (s) => !(FINAL_STATES as readonly string[]).includes(s.state ?? 'pending') && s.state !== 'failed',
        ),
      });
      // Every accepted fixture accepted 90 minutes after it started.
      const accepted = count((s) => s.state === 'accepted');
      expect(overview.timeToAccept.buckets[0]).toEqual({ label: 'under 1 day', count: accepted });
      expect(overview.timeToAccept.buckets.slice(1).every((b) => b.count === 0)).toBe(true);
      expect(overview.timeToAccept.medianHours).toBeCloseTo(1.5, 5);
      expect(overview.startedPerWeek.reduce((n, w) => n + w.count, 0)).toBe(specs.length);
      for (const w of overview.startedPerWeek) expect(new Date(`${w.week}T00:00:00Z`).getUTCDay()).toBe(1);
      // A range that starts after every fixture holds nothing.
      const empty = await l.overview({ from: at(10_000) });
      expect(empty.funnel.started).toBe(0);
      expect(empty.timeToAccept.medianHours).toBeNull();
      expect(empty.startedPerWeek).toEqual([]);
    });

    it('counts per state with SQL, under the same filters', async () => {
      const l = await seeded();
      const expected = (pick: (s: Spec) => boolean) =>
        Object.fromEntries(
          HANDOFF_STATES.map((st) => [st, specs.filter((s) => pick(s) && s.state === st).length]),
        );
      expect(await l.countByState()).toEqual(expected(() => true));
      expect(await l.countByState({ projectId: 'PRJ-A' })).toEqual(expected((s) => s.projectId === 'PRJ-A'));
      expect(await l.countByState({ email: 'ann@customer.example' })).toEqual(
        expected((s) => (s.emails ?? []).some((e) => e.toLowerCase() === 'ann@customer.example')),
      );
    });

    it('pages through every row with the cursor while rows are inserted, none twice, none missed', async () => {
      const l = await fresh();
      // Many equal start times: the id tie-breaker must keep the order total.
      const original = Array.from({ length: 45 }, (_, i) => ({
        n: 100 + i,
        started: 1000 + Math.floor(i / 4),
      }));
      for (const s of original) await l.record(writeFor(s));
      for (const [sort, order] of [
        ['started', 'desc'],
        ['lastActivity', 'asc'],
      ] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await l.list({ sort, order, limit: 7, cursor });
          seen.push(...ids(page.items));
          cursor = page.nextCursor;
          if (++pages === 2) {
            // Before the cursor (never shown) and after it (shown once at the end).
            const before = order === 'desc' ? 5000 : 0;
            const after = order === 'desc' ? 0 : 5000;
            for (let k = 0; k < 3; k++)
              await l.record(
                writeFor({ n: 200 + k + (sort === 'started' ? 0 : 10), started: before + k, lasted: 0 }),
              );
            for (let k = 0; k < 2; k++)
              await l.record(
                writeFor({ n: 300 + k + (sort === 'started' ? 0 : 10), started: after + k, lasted: 0 }),
              );
          }
        } while (cursor);
        expect(new Set(seen).size).toBe(seen.length);
        const offset = sort === 'started' ? 0 : 10;
        expect(seen).toEqual(expect.arrayContaining(original.map((s) => idOf(s.n))));
        expect(seen).toEqual(expect.arrayContaining([idOf(300 + offset), idOf(301 + offset)]));
        for (let k = 0; k < 3; k++) expect(seen).not.toContain(idOf(200 + k + offset));
        expect(pages).toBeGreaterThan(6);
      }
    });

    it('refuses a foreign or forged cursor and a page size out of range', async () => {
      const l = await seeded();
      const { nextCursor } = await l.list({ sort: 'started', limit: 2 });
      expect(nextCursor).toBeDefined();
      await expect(l.list({ sort: 'lastActivity', limit: 2, cursor: nextCursor })).rejects.toThrow(
        InvalidLedgerInput,
      );
      await expect(l.list({ sort: 'started', order: 'asc', limit: 2, cursor: nextCursor })).rejects.toThrow(
        InvalidLedgerInput,
      );
      await expect(l.list({ sort: 'started', limit: 2, cursor: 'not-a-cursor' })).rejects.toThrow(
        InvalidLedgerInput,
      );
      await expect(l.list({ sort: 'started', limit: 0 })).rejects.toThrow(InvalidLedgerInput);
      await expect(l.list({ sort: 'started', limit: 501 })).rejects.toThrow(InvalidLedgerInput);
    });
  });

  describe('export and audit records', () => {
    it('exports CSV and JSON Lines that parse back to the rows, hostile strings included', async () => {
      const l = await fresh();
      for (const [k, text] of HOSTILE.entries()) {
        await l.record(
          writeFor({ n: 400 + k, role: text, projectId: text, failure: text, detail: text, started: k }),
        );
      }
      for (let k = 0; k < 7; k++) await l.record(writeFor({ n: 500 + k, started: 100 + k }));
      const rows: LedgerSummary[] = [];
      for await (const row of l.export({ pageSize: 3 })) rows.push(row);
      expect(rows).toHaveLength(HOSTILE.length + 7);
      expect(rows.slice(0, HOSTILE.length).map((r) => r.role)).toEqual(HOSTILE);

      const records = await parseCsv(await collect(toCsvLines(l.export({ pageSize: 4 }))));
      expect(records[0]).toEqual(CSV_COLUMNS.map((c) => c.name));
      const cellText = (value: string | number | null): string =>
        value === null
          ? ''
          : typeof value === 'number'
            ? String(value)
            : /^[=+\-@\t\r]/.test(value)
              ? `'${value}`
              : value;
      expect(records.slice(1)).toEqual(rows.map((r) => CSV_COLUMNS.map((c) => cellText(c.cell(r)))));
      // The formula guard itself: a spreadsheet sees text, not a command.
      const roleColumn = CSV_COLUMNS.findIndex((c) => c.name === 'role');
      expect(records.slice(1).map((r) => r[roleColumn])).toContain(`'=cmd|' /C calc'!A0`);

      const jsonl = await collect(toJsonLines(l.export({ pageSize: 5 })));
      expect(jsonl.endsWith('\n')).toBe(true);
      expect(
        jsonl
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as unknown),
      ).toEqual(rows);
      // Exact round trip through get() too: the status jsonb and the audit text.
      const got = await l.get(idOf(401));
      expect(got?.role).toBe(HOSTILE[1]);
      expect(got?.failure).toBe(HOSTILE[1]);
      expect(got?.audit[1].detail).toBe(HOSTILE[1]);
      expect(
        (await l.list({ sort: 'started', limit: 5, projectId: HOSTILE[3] })).items.map((r) => r.role),
      ).toEqual([HOSTILE[3]]);
    });

    it('filters an export like a list', async () => {
      const l = await fresh();
      for (let k = 0; k < 9; k++)
        await l.record(writeFor({ n: 600 + k, state: k % 3 ? 'pending' : 'expired' }));
      const expired: string[] = [];
      for await (const row of l.export({ state: 'expired', pageSize: 2, order: 'desc' }))
        expired.push(row.handoffId);
      expect(expired).toEqual([idOf(606), idOf(603), idOf(600)]);
    });

    it('gives a self-contained audit record of one handoff', async () => {
      const l = await fresh();
      for (const w of lifecycle(7, 'kim@customer.example')) await l.record(w);
      const record = await l.auditRecord(idOf(7));
      expect(record).toMatchObject({
        format: 'site-handoff.ledger.audit-record',
        formatVersion: 1,
        handoff: { handoffId: idOf(7), state: 'accepted', acceptedBy: 'kim@customer.example', version: 3 },
        status: { state: 'accepted', projectId: 'PRJ-7' },
        invitees: [{ email: 'kim@customer.example', status: 'accepted', inviteId: 'inv-7-0' }],
      });
      expect(record?.audit.map((a) => a.seq)).toEqual([0, 1, 2, 3, 4]);
      expect(JSON.parse(JSON.stringify(record))).toEqual(record);
      expect(await l.auditRecord(idOf(8))).toBeUndefined();
    });
  });

  describe('erasure', () => {
    const ADDRESS = 'Zoe.Private@Customer.example';

    it('refuses while a handoff for the address is running, changing nothing', async () => {
      const l = await fresh();
      await l.record(writeFor({ n: 20, state: 'accepted', emails: ['zoe.private@customer.example'] }));
      await l.record(writeFor({ n: 21, state: 'failed', emails: ['zoe.private@customer.example'] }));
      await l.record(
        writeFor({
          n: 22,
          state: 'pending',
          emails: ['other@customer.example', 'zoe.private@customer.example'],
        }),
      );
      const before = await columnsHolding(l, ADDRESS);
      const error = await l.erase(ADDRESS, { actor: 'staff:dpo' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ErasureRefused);
      expect((error as ErasureRefused).runningHandoffIds).toEqual([idOf(21), idOf(22)]);
      expect((error as Error).message).not.toMatch(/zoe/i);
      expect(await columnsHolding(l, ADDRESS)).toEqual(before);
      expect(await rowCounts(l)).toEqual({ handoffs: 3, handoff_invitees: 4, handoff_audit: 10 });
    });

    it('pseudonymizes the address in every table and column, keeps counts and states, and audits it', async () => {
      const l = await fresh();
      const zoe = 'zoe.private@customer.example';
      await l.record(
        writeFor({ n: 30, state: 'accepted', emails: [zoe, 'partner@customer.example'], projectId: 'PRJ-Z' }),
      );
      const revoked = writeFor({ n: 31, state: 'revoked', emails: [zoe] });
      await l.record({
        ...revoked,
        status: {
          ...revoked.status,
          lastRefusal: { at: at(40), request: 'resend', reason: `${ADDRESS} was revoked` },
          alerts: [`contributor ${zoe} still on site`],
        },
      });
      await l.record(writeFor({ n: 32, state: 'expired', emails: ['someone@customer.example'] }));
      await l.record(writeFor({ n: 33, state: 'pending', emails: ['zoe.private@customer.example.org'] }));
      const countsBefore = await l.countByState();
      const rowsBefore = await rowCounts(l);
      expect(await columnsHolding(l, zoe)).toEqual(
        expect.arrayContaining([
          'handoffs.invitee_emails',
          'handoffs.accepted_by',
          'handoffs.status',
          'handoff_invitees.email',
          'handoff_audit.detail',
        ]),
      );

      // Only the exact address counts: the running handoff of zoe.private@customer.example.org does not block it.
      expect(await l.erase(ADDRESS, { actor: 'staff:dpo' })).toEqual({
        handoffs: 2,
        invitees: 2,
        auditEntries: 4,
      });

      const left = await columnsHolding(l, zoe);
      // What still matches is only the other address that contains this one as a prefix, in its own handoff.
      for (const c of left) {
        const [table, column] = c.split('.');
        const { rows } = await sql<{ n: number }>`
          select count(*)::int as n from ${sql.table(table)}
          where ${sql.ref(column)}::text ilike ${`%${zoe}%`}
            and ${sql.ref(column)}::text not ilike ${`%${zoe}.org%`}`.execute(l.db);
        expect([c, rows[0].n]).toEqual([c, 0]);
      }
      expect(await l.countByState()).toEqual(countsBefore);
      // Same rows, plus one erasure entry in each of the two handoffs.
      expect(await rowCounts(l)).toEqual({ ...rowsBefore, handoff_audit: rowsBefore.handoff_audit + 2 });

      const erased = await l.get(idOf(30));
      expect(erased?.state).toBe('accepted');
      const pseudonym = erased?.invitees[0].email ?? '';
      expect(pseudonym).toMatch(/^erased-[0-9a-f]{16}@erased\.invalid$/);
      expect(erased?.invitees[1].email).toBe('partner@customer.example');
      expect(erased?.audit.at(-1)).toEqual({
        at: expect.any(String),
        event: 'customer data erased',
        actor: 'staff:dpo',
      });
      expect((await l.get(idOf(31)))?.lastRefusal?.reason).toBe(`${pseudonym} was revoked`);
      expect((await l.get(idOf(32)))?.audit.map((a) => a.event)).not.toContain('customer data erased');
      expect((await l.list({ sort: 'started', limit: 10, email: zoe })).items).toEqual([]);
      expect(ids((await l.list({ sort: 'started', limit: 10, email: pseudonym })).items)).toEqual([
        idOf(31),
        idOf(30),
      ]);
      // Nothing left to erase: a second request changes nothing.
      expect(await l.erase(zoe, { actor: 'staff:dpo' })).toEqual({
        handoffs: 0,
        invitees: 0,
        auditEntries: 0,
      });
    });

    it('leaves no trace in any column when nothing else resembles the address', async () => {
      const l = await fresh();
      await l.record(
        writeFor({
          n: 40,
          state: 'revoked',
          emails: ['Quinn@Example.org'],
          detail: 'mailed QUINN@example.ORG',
        }),
      );
      expect((await columnsHolding(l, 'quinn@example.org')).length).toBeGreaterThan(3);
      await l.erase('quinn@example.org', { actor: 'staff:dpo' });
      expect(await columnsHolding(l, 'quinn@example.org')).toEqual([]);
      expect(await columnsHolding(l, 'quinn')).toEqual([]);
    });

    it('refuses an actor that names the address', async () => {
      const l = await fresh();
      await expect(l.erase('a@b.example', { actor: 'A@B.example' })).rejects.toThrow(InvalidLedgerInput);
      await expect(l.erase('not an address', { actor: 'staff' })).rejects.toThrow(InvalidLedgerInput);
    });
  });
});

// `openLedger({ dataDir })` creates PGlite itself, so it runs where Node loads modules: in child processes,
// which also makes this a real restart.
describe('ledger on a PGlite data directory', () => {
  const child = (dataDir: string, writes: LedgerWrite[]): Promise<{ stdout: string }> =>
    promisify(execFile)(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-e',
        `const { openLedger } = require('./src/ledger');
         (async () => {
           const { dataDir, writes, id } = JSON.parse(process.env.LEDGER_CHILD);
           const ledger = await openLedger({ dataDir });
           const results = [];
           for (const w of writes) results.push(await ledger.record(w));
           const got = await ledger.get(id);
           await ledger.close();
           process.stdout.write(JSON.stringify({ backend: ledger.backend, results, got }));
         })().catch((e) => { console.error(e); process.exit(1); });`,
      ],
      {
        cwd: resolve(__dirname, '..'),
        env: { ...process.env, LEDGER_CHILD: JSON.stringify({ dataDir, writes, id: idOf(50) }) },
      },
    );

  it('keeps its data across close and reopen', async () => {
    const dataDir = join(tempDir('ledger-persist-'), 'ledger');
    const writes = lifecycle(50);
    const first = JSON.parse((await child(dataDir, writes)).stdout) as {
      backend: string;
      got: { state: string };
    };
    expect(first.backend).toBe('pglite');
    expect(first.got.state).toBe('accepted');
    const second = JSON.parse((await child(dataDir, [writes[2]])).stdout) as {
      results: unknown[];
      got: { state: string; audit: unknown[] };
    };
    expect(second.results).toEqual([{ applied: false, auditInserted: 0 }]);
    expect(second.got.state).toBe('accepted');
    expect(second.got.audit).toHaveLength(5);
  }, 60_000);
});
