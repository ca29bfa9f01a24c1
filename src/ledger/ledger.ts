// The handoff ledger: the agency's lasting record of every handoff, outliving Temporal's retention.
import { randomBytes } from 'node:crypto';
import {
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
} from 'kysely';
import {
  FINAL_STATES,
  HANDOFF_STATES,
  type AuditEntry,
  type HandoffState,
  type InviteeStatus,
} from '../../workflows/handoff-types';
import { connectLedger, type LedgerConnection, type LedgerConnectionOptions } from './connect';
import { ErasureRefused, InvalidLedgerInput } from './errors';
import { migrateLedgerToLatest } from './migrations';
import type { HandoffsTable, LedgerDatabase, StoredStatus } from './schema';
import {
  type ErasureResult,
  type LedgerAuditEntry,
  type LedgerAuditRecord,
  type LedgerExportQuery,
  type LedgerFilter,
  type LedgerHandoff,
  type LedgerInvitee,
  type LedgerListQuery,
  type LedgerOrder,
  type LedgerOverview,
  type LedgerPage,
  type LedgerSort,
  type LedgerSummary,
  type LedgerWrite,
  type RecordResult,
} from './types';

export interface OpenLedgerOptions extends LedgerConnectionOptions {
  /** Run pending migrations at open (default true). */
  migrate?: boolean;
}

/** Opens the ledger and brings its schema up to date. */
export async function openLedger(options: OpenLedgerOptions): Promise<Ledger> {
  const connection = await connectLedger(options);
  try {
    if (options.migrate !== false) await migrateLedgerToLatest(connection.db as unknown as Kysely<unknown>);
  } catch (err) {
    await connection.close();
    throw err;
  }
  return new Ledger(connection);
}

const MAX_PAGE = 500;
const ERASED_EVENT = 'customer data erased';
const REVOKE_EVENT = 'revoke requested';

type HandoffRow = Selectable<HandoffsTable>;
type Eb = ExpressionBuilder<LedgerDatabase, 'handoffs'>;

const SUMMARY_COLUMNS = [
  'handoff_id',
  'run_id',
  'version',
  'state',
  'site_id',
  'project_id',
  'role',
  'invitee_emails',
  'invite_ids',
  'started_at',
  'ended_at',
  'last_activity_at',
  'outcome',
  'accepted_by',
  'revoked_by',
  'failure',
] as const satisfies readonly (keyof HandoffsTable)[];
type SummaryRow = Pick<HandoffRow, (typeof SUMMARY_COLUMNS)[number]> & {
  next_reminder_at: string | null;
  expires_at: Date | null;
  needs_staff: boolean;
};

/** What a handoff shows that is read from its stored status and invitees rather than kept in a column. */
const summaryExtras = (eb: Eb) => [
  sql<string | null>`handoffs.status->>'nextReminderAt'`.as('next_reminder_at'),
  eb
    .selectFrom('handoff_invitees')
    .select((e) => e.fn.min('handoff_invitees.expires_at').as('m'))
    .whereRef('handoff_invitees.handoff_id', '=', 'handoffs.handoff_id')
    .where('handoff_invitees.status', '=', 'pending')
    .as('expires_at'),
  needsStaff.as('needs_staff'),
];

/** Failed, or an alert staff must look at (a contributor left after a revoke, an acceptance Wix could not tell). */
const needsStaff = sql<boolean>`(handoffs.state = 'failed' or coalesce(jsonb_array_length(handoffs.status->'alerts'), 0) > 0)`;

export class Ledger {
  /** The Kysely handle, for maintenance and tests; callers use the methods. */
  readonly db: Kysely<LedgerDatabase>;
  readonly backend: 'postgres' | 'pglite';

  constructor(private readonly connection: LedgerConnection) {
    this.db = connection.db;
    this.backend = connection.backend;
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  /** Stores a handoff's view and its new audit entries; repeating or reordering writes changes nothing twice. */
  async record(write: LedgerWrite): Promise<RecordResult> {
    checkWrite(write);
    const { audit: _ignored, ...given } = write.status;
    // An invite link lets its holder accept the invite: it stays in Temporal (encrypted), never in the ledger.
    const status = { ...given, invitees: given.invitees.map(({ inviteLink: _link, ...i }) => i) };
    const invitees = [...new Map(status.invitees.map((i) => [i.email, i])).values()];
    const audit = [...new Map(write.audit.map((a) => [a.seq, a])).values()];
    const revokedBy =
      audit.filter((a) => a.event === REVOKE_EVENT).sort((a, b) => b.seq - a.seq)[0]?.actor ?? null;
    const lastActivity = latest([
      write.startedAt,
      write.endedAt,
      status.lastRefusal?.at ?? null,
      ...audit.map((a) => a.at),
    ]);
    const accepted = invitees.filter((i) => i.status === 'accepted').map((i) => i.email);

    return this.db.transaction().execute(async (trx) => {
      // The version guard: only a newer view replaces the stored one; a late or repeated write updates nothing.
      const replaced = await trx
        .insertInto('handoffs')
        .values({
          handoff_id: write.handoffId,
          run_id: write.runId,
          version: write.version,
          site_id: status.siteId,
          project_id: status.projectId,
          role: status.role,
          state: status.state,
          invitee_emails: invitees.map((i) => i.email),
          invite_ids: invitees.flatMap((i) => (i.inviteId ? [i.inviteId] : [])),
          started_at: write.startedAt,
          ended_at: write.endedAt,
          last_activity_at: lastActivity,
          outcome: (FINAL_STATES as readonly string[]).includes(status.state) ? status.state : null,
          accepted_by: accepted.length ? accepted.join(', ') : null,
          revoked_by: revokedBy,
          failure: status.failure,
          status: JSON.stringify(status),
        })
        .onConflict((oc) =>
          oc
            .column('handoff_id')
            .doUpdateSet((eb) => ({
              run_id: eb.ref('excluded.run_id'),
              version: eb.ref('excluded.version'),
              site_id: eb.ref('excluded.site_id'),
              project_id: eb.ref('excluded.project_id'),
              role: eb.ref('excluded.role'),
              state: eb.ref('excluded.state'),
              invitee_emails: eb.ref('excluded.invitee_emails'),
              invite_ids: eb.ref('excluded.invite_ids'),
              started_at: eb.ref('excluded.started_at'),
              ended_at: eb.ref('excluded.ended_at'),
              last_activity_at: sql<Date>`greatest(handoffs.last_activity_at, excluded.last_activity_at)`,
              outcome: eb.ref('excluded.outcome'),
              accepted_by: eb.ref('excluded.accepted_by'),
              revoked_by: sql<string | null>`coalesce(excluded.revoked_by, handoffs.revoked_by)`,
              failure: eb.ref('excluded.failure'),
              status: eb.ref('excluded.status'),
              recorded_at: sql<Date>`now()`,
            }))
            .whereRef('handoffs.version', '<', 'excluded.version'),
        )
        .returning('handoff_id')
        .executeTakeFirst();
      const applied = replaced !== undefined;

      if (applied) {
        if (invitees.length) {
          await trx
            .insertInto('handoff_invitees')
            .values(
              invitees.map((i) => ({
                handoff_id: write.handoffId,
                email: i.email,
                status: i.status,
                invite_id: i.inviteId,
                expires_at: i.expiresAt,
                reminders_sent: i.remindersSent,
                renewals: i.renewals,
                accepted_at: i.acceptedAt,
                problem: i.problem,
              })),
            )
            .onConflict((oc) =>
              oc.columns(['handoff_id', 'email']).doUpdateSet((eb) => ({
                status: eb.ref('excluded.status'),
                invite_id: eb.ref('excluded.invite_id'),
                expires_at: eb.ref('excluded.expires_at'),
                reminders_sent: eb.ref('excluded.reminders_sent'),
                renewals: eb.ref('excluded.renewals'),
                accepted_at: eb.ref('excluded.accepted_at'),
                problem: eb.ref('excluded.problem'),
              })),
            )
            .execute();
        }
        await trx
          .deleteFrom('handoff_invitees')
          .where('handoff_id', '=', write.handoffId)
          .$if(invitees.length > 0, (q) =>
            q.where(
              'email',
              'not in',
              invitees.map((i) => i.email),
            ),
          )
          .execute();
      }

      let auditInserted = 0;
      if (audit.length) {
        const inserted = await trx
          .insertInto('handoff_audit')
          .values(
            audit.map((a) => ({
              handoff_id: write.handoffId,
              seq: a.seq,
              at: a.at,
              event: a.event,
              actor: a.actor,
              detail: a.detail ?? null,
            })),
          )
          .onConflict((oc) => oc.columns(['handoff_id', 'seq']).doNothing())
          .executeTakeFirst();
        auditInserted = Number(inserted.numInsertedOrUpdatedRows ?? 0n);
      }

      // A late write may still bring entries nobody stored: they count as activity even though its view is old.
      if (!applied && auditInserted > 0) {
        await trx
          .updateTable('handoffs')
          .set({
            last_activity_at: sql<Date>`greatest(last_activity_at, ${lastActivity}::timestamptz)`,
            revoked_by: sql<string | null>`coalesce(revoked_by, ${revokedBy}::text)`,
          })
          .where('handoff_id', '=', write.handoffId)
          .where((eb) =>
            eb.or([
              eb('last_activity_at', '<', new Date(lastActivity)),
              ...(revokedBy ? [eb('revoked_by', 'is', null)] : []),
            ]),
          )
          .execute();
      }
      return { applied, auditInserted };
    });
  }

  /** The status as the API shows it, with the full audit trail from the ledger; undefined if unknown. */
  async get(handoffId: string): Promise<LedgerHandoff | undefined> {
    const row = await this.db
      .selectFrom('handoffs')
      .select(['handoff_id', 'run_id', 'started_at', 'ended_at', 'status'])
      .where('handoff_id', '=', handoffId)
      .executeTakeFirst();
    if (!row) return undefined;
    const audit = await this.auditOf(handoffId);
    return {
      ...row.status,
      audit: audit.map(({ seq: _seq, ...entry }) => entry),
      handoffId: row.handoff_id,
      runId: row.run_id,
      startedAt: row.started_at.toISOString(),
      endedAt: iso(row.ended_at),
    };
  }

  /** One page of handoffs, newest first by default; keyset-paged, so a page costs the same at any depth. */
  async list(query: LedgerListQuery): Promise<LedgerPage> {
    const { sort, limit } = query;
    const order = query.order ?? 'desc';
    if (sort !== 'started' && sort !== 'lastActivity')
      throw new InvalidLedgerInput(`unknown sort "${String(sort)}"`);
    if (order !== 'asc' && order !== 'desc') throw new InvalidLedgerInput(`unknown order "${String(order)}"`);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
      throw new InvalidLedgerInput(`limit must be an integer from 1 to ${MAX_PAGE}`);
    const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor, sort, order);
    const column = sort === 'started' ? 'started_at' : 'last_activity_at';
    const rows = await this.db
      .selectFrom('handoffs')
      .select(SUMMARY_COLUMNS)
      .select(summaryExtras)
      .where((eb) => eb.and(filterConditions(eb, query)))
      .$if(after !== undefined, (q) =>
        q.where((eb) =>
          eb(
            eb.refTuple(column, 'handoff_id'),
            order === 'desc' ? '<' : '>',
            eb.tuple(new Date(after!.at), after!.id),
          ),
        ),
      )
      .orderBy(column, order)
      .orderBy('handoff_id', order)
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(toSummary);
    const last = items[items.length - 1];
    return rows.length > limit && last
      ? {
          items,
          nextCursor: encodeCursor({
            sort,
            order,
            at: sort === 'started' ? last.startedAt : last.lastActivityAt,
            id: last.handoffId,
          }),
        }
      : { items };
  }

  /** How many handoffs match the filter, per state (every state present, zero when none). */
  async countByState(filter: LedgerFilter = {}): Promise<Record<HandoffState, number>> {
    const rows = await this.db
      .selectFrom('handoffs')
      .select((eb) => ['state', eb.fn.countAll<string>().as('n')])
      .where((eb) => eb.and(filterConditions(eb, filter)))
      .groupBy('state')
      .execute();
    const counts = Object.fromEntries(HANDOFF_STATES.map((s) => [s, 0])) as Record<HandoffState, number>;
    for (const row of rows) counts[row.state as HandoffState] = Number(row.n);
    return counts;
  }

  /** How many matching handoffs need staff: failed, or with an alert. */
  async countNeedingStaff(filter: LedgerFilter = {}): Promise<number> {
    const row = await this.db
      .selectFrom('handoffs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where((eb) => eb.and([...filterConditions(eb, filter), needsStaff]))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /**
   * The acceptance funnel, time to accept and handoffs started per week, for handoffs started in the range: three
   * aggregate queries, whatever the ledger holds.
   */
  async overview(range: { from?: string; to?: string } = {}): Promise<LedgerOverview> {
    const filter: LedgerFilter = {
      ...(range.from ? { startedFrom: range.from } : {}),
      ...(range.to ? { startedTo: range.to } : {}),
    };
    const funnel = await this.db
      .selectFrom('handoffs')
      .select((eb) => [
        eb.fn.countAll<string>().as('started'),
        sql<string>`count(*) filter (where cardinality(invite_ids) > 0)`.as('invited'),
        sql<string>`count(*) filter (where coalesce((status->>'remindersSent')::int, 0) > 0)`.as('reminded'),
        sql<string>`count(*) filter (where state = 'accepted')`.as('accepted'),
        sql<string>`count(*) filter (where state = 'expired')`.as('expired'),
        sql<string>`count(*) filter (where state = 'revoked')`.as('revoked'),
        sql<string>`count(*) filter (where state = 'failed')`.as('failed'),
        sql<string>`count(*) filter (where ended_at is null and state <> 'failed')`.as('open'),
      ])
      .where((eb) => eb.and(filterConditions(eb, filter)))
      .executeTakeFirstOrThrow();
    // Hours from the start to the first acceptance, per accepted handoff, bucketed in SQL.
    const acceptedIn = this.db
      .selectFrom('handoffs')
      .innerJoin('handoff_invitees', 'handoff_invitees.handoff_id', 'handoffs.handoff_id')
      .select(
        sql<number>`extract(epoch from (min(handoff_invitees.accepted_at) - handoffs.started_at)) / 3600`.as(
          'hours',
        ),
      )
      .where((eb) => eb.and([...filterConditions(eb, filter), eb('handoffs.state', '=', 'accepted')]))
      .where('handoff_invitees.accepted_at', 'is not', null)
      .groupBy(['handoffs.handoff_id', 'handoffs.started_at']);
    const buckets = await this.db
      .selectFrom(acceptedIn.as('a'))
      .select([
        sql<number>`width_bucket(a.hours, array[${sql.join(ACCEPT_BUCKET_HOURS)}]::float8[])`.as('bucket'),
        sql<string>`count(*)`.as('n'),
      ])
      .groupBy('bucket')
      .execute();
    const median = await this.db
      .selectFrom(acceptedIn.as('a'))
      .select(sql<number | null>`percentile_cont(0.5) within group (order by a.hours)`.as('median'))
      .executeTakeFirst();
    const weeks = await this.db
      .selectFrom('handoffs')
      .select([
        sql<string>`to_char(date_trunc('week', started_at at time zone 'UTC'), 'YYYY-MM-DD')`.as('week'),
        sql<string>`count(*)`.as('n'),
      ])
      .where((eb) => eb.and(filterConditions(eb, filter)))
      .groupBy('week')
      .orderBy('week')
      .execute();
    const n = (v: string | number): number => Number(v);
    const perBucket = new Map(buckets.map((b) => [Number(b.bucket), n(b.n)]));
    return {
      funnel: {
        started: n(funnel.started),
        invited: n(funnel.invited),
        reminded: n(funnel.reminded),
        accepted: n(funnel.accepted),
        expired: n(funnel.expired),
        revoked: n(funnel.revoked),
        failed: n(funnel.failed),
        open: n(funnel.open),
      },
      timeToAccept: {
        buckets: ACCEPT_BUCKET_LABELS.map((label, i) => ({ label, count: perBucket.get(i) ?? 0 })),
        medianHours: median?.median === null || median?.median === undefined ? null : Number(median.median),
      },
      startedPerWeek: weeks.map((w) => ({
        week: w.week,
        count: n(w.n),
      })),
    };
  }

  /** Every matching handoff, fetched a page at a time: memory stays flat whatever the ledger holds. */
  async *export(query: LedgerExportQuery = {}): AsyncGenerator<LedgerSummary> {
    const { sort = 'started', order = 'asc', pageSize = MAX_PAGE, ...filter } = query;
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...filter, sort, order, limit: pageSize, cursor });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** A self-contained JSON record of one handoff: its row, invitees and full audit trail. */
  async auditRecord(handoffId: string): Promise<LedgerAuditRecord | undefined> {
    const row = await this.db
      .selectFrom('handoffs')
      .select([...SUMMARY_COLUMNS, 'status'])
      .select(summaryExtras)
      .where('handoff_id', '=', handoffId)
      .executeTakeFirst();
    if (!row) return undefined;
    const invitees = await this.db
      .selectFrom('handoff_invitees')
      .selectAll()
      .where('handoff_id', '=', handoffId)
      .orderBy('email')
      .execute();
    return {
      format: 'site-handoff.ledger.audit-record',
      formatVersion: 1,
      generatedAt: new Date().toISOString(),
      handoff: toSummary(row),
      status: row.status,
      invitees: invitees.map((i): LedgerInvitee => ({
        email: i.email,
        status: i.status as InviteeStatus,
        inviteId: i.invite_id,
        expiresAt: iso(i.expires_at),
        remindersSent: i.reminders_sent,
        renewals: i.renewals,
        acceptedAt: iso(i.accepted_at),
        problem: i.problem,
      })),
      audit: await this.auditOf(handoffId),
    };
  }

  /**
   * A customer's right to erasure: the address is replaced by a random pseudonym wherever the ledger holds it,
   * counts and states are kept, and each affected handoff records the erasure. Refused while any of them runs.
   */
  async erase(email: string, { actor }: { actor: string }): Promise<ErasureResult> {
    const address = email.trim();
    if (!address.includes('@')) throw new InvalidLedgerInput('erasure needs an email address');
    if (!actor.trim()) throw new InvalidLedgerInput('erasure needs an actor');
    if (actor.toLowerCase().includes(address.toLowerCase()))
      throw new InvalidLedgerInput('the erasure actor must not contain the address');
    // The address alone, not inside a longer one (zoe@x.example must not match zoe@x.example.org or ann.zoe@…).
    const matcher = new RegExp(addressPattern(escapeRegExp(address)), 'gi');
    const pattern = addressPattern(address.replace(/[^A-Za-z0-9]/g, '\\$&'));
    // Random, not derived from the address: a hash of the address would itself be a trace of it.
    const pseudonym = `erased-${randomBytes(8).toString('hex')}@erased.invalid`;
    const scrub = (text: string): string => text.replace(matcher, pseudonym);
    const scrubNullable = (text: string | null): string | null => (text === null ? null : scrub(text));

    return this.db.transaction().execute(async (trx) => {
      // Whole-row text matches any column, so no column holding the address can be missed.
      const holding = async (): Promise<{ handoff_id: string; state: string }[]> =>
        (
          await sql<{ handoff_id: string; state: string }>`
            select h.handoff_id, h.state from handoffs h
            where h::text ~* ${pattern}
               or exists (select 1 from handoff_invitees i where i.handoff_id = h.handoff_id and i::text ~* ${pattern})
               or exists (select 1 from handoff_audit a where a.handoff_id = h.handoff_id and a::text ~* ${pattern})
            order by h.handoff_id
            for update of h`.execute(trx)
        ).rows;

      const affected = await holding();
      const running = affected.filter((h) => !(FINAL_STATES as readonly string[]).includes(h.state));
      if (running.length) throw new ErasureRefused(running.map((h) => h.handoff_id));

      const result: ErasureResult = { handoffs: affected.length, invitees: 0, auditEntries: 0 };
      for (const { handoff_id: handoffId } of affected) {
        const row = await trx
          .selectFrom('handoffs')
          .selectAll()
          .where('handoff_id', '=', handoffId)
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('handoffs')
          .set({
            site_id: scrubNullable(row.site_id),
            project_id: scrubNullable(row.project_id),
            role: scrubNullable(row.role),
            invitee_emails: row.invitee_emails.map(scrub),
            invite_ids: row.invite_ids.map(scrub),
            outcome: scrubNullable(row.outcome),
            accepted_by: scrubNullable(row.accepted_by),
            revoked_by: scrubNullable(row.revoked_by),
            failure: scrubNullable(row.failure),
            status: JSON.stringify(scrubDeep(row.status, scrub)),
          })
          .where('handoff_id', '=', handoffId)
          .execute();

        const invitees = await sql<{
          email: string;
          status: string;
          invite_id: string | null;
          problem: string | null;
        }>`select email, status, invite_id, problem from handoff_invitees i
           where i.handoff_id = ${handoffId} and i::text ~* ${pattern}`.execute(trx);
        for (const i of invitees.rows) {
          await trx
            .updateTable('handoff_invitees')
            .set({
              email: scrub(i.email),
              status: scrub(i.status),
              invite_id: scrubNullable(i.invite_id),
              problem: scrubNullable(i.problem),
            })
            .where('handoff_id', '=', handoffId)
            .where('email', '=', i.email)
            .execute();
        }
        result.invitees += invitees.rows.length;

        const entries = await sql<{ seq: number; event: string; actor: string; detail: string | null }>`
          select seq, event, actor, detail from handoff_audit a
          where a.handoff_id = ${handoffId} and a::text ~* ${pattern}`.execute(trx);
        for (const a of entries.rows) {
          await trx
            .updateTable('handoff_audit')
            .set({ event: scrub(a.event), actor: scrub(a.actor), detail: scrubNullable(a.detail) })
            .where('handoff_id', '=', handoffId)
            .where('seq', '=', a.seq)
            .execute();
        }
        result.auditEntries += entries.rows.length;

        // Next seq after the workflow's: the handoff has ended, so its workflow writes no later entries.
        await trx
          .insertInto('handoff_audit')
          .columns(['handoff_id', 'seq', 'at', 'event', 'actor', 'detail'])
          .expression((eb) =>
            eb
              .selectFrom('handoff_audit')
              .select([
                sql.val(handoffId).as('handoff_id'),
                sql<number>`coalesce(max(seq), 0) + 1`.as('seq'),
                sql<Date>`now()`.as('at'),
                sql.val(ERASED_EVENT).as('event'),
                sql.val(actor).as('actor'),
                sql<null>`null`.as('detail'),
              ])
              .where('handoff_id', '=', handoffId),
          )
          .execute();
      }

      // The promise is "no trace": if any row still matches (a key column, a case the scrub missed), undo it all.
      const left = await holding();
      if (left.length)
        throw new Error(
          `erasure incomplete: the address is still held by ${left.map((h) => h.handoff_id).join(', ')}`,
        );
      return result;
    });
  }

  private async auditOf(handoffId: string): Promise<LedgerAuditEntry[]> {
    const rows = await this.db
      .selectFrom('handoff_audit')
      .select(['seq', 'at', 'event', 'actor', 'detail'])
      .where('handoff_id', '=', handoffId)
      .orderBy('seq')
      .execute();
    return rows.map((r) => {
      const entry: AuditEntry = { at: r.at.toISOString(), event: r.event, actor: r.actor };
      return { seq: r.seq, ...entry, ...(r.detail !== null ? { detail: r.detail } : {}) };
    });
  }
}

function filterConditions(eb: Eb, filter: LedgerFilter): Expression<SqlBool>[] {
  const conditions: Expression<SqlBool>[] = [];
  if (filter.state !== undefined) conditions.push(eb('state', '=', filter.state));
  if (filter.needsStaff) conditions.push(needsStaff);
  if (filter.siteId !== undefined) conditions.push(eb('site_id', '=', filter.siteId));
  if (filter.projectId !== undefined) conditions.push(eb('project_id', '=', filter.projectId));
  if (filter.startedFrom !== undefined)
    conditions.push(eb('started_at', '>=', checkedDate(filter.startedFrom, 'startedFrom')));
  if (filter.startedTo !== undefined)
    conditions.push(eb('started_at', '<', checkedDate(filter.startedTo, 'startedTo')));
  if (filter.email !== undefined) {
    const email = filter.email.trim();
    conditions.push(
      eb.exists(
        eb
          .selectFrom('handoff_invitees')
          .select(sql.lit(1).as('one'))
          .whereRef('handoff_invitees.handoff_id', '=', 'handoffs.handoff_id')
          .where(sql<string>`lower(handoff_invitees.email)`, '=', sql<string>`lower(${email})`),
      ),
    );
  }
  return conditions;
}

function toSummary(row: SummaryRow): LedgerSummary {
  return {
    handoffId: row.handoff_id,
    runId: row.run_id,
    version: Number(row.version),
    state: row.state as HandoffState,
    siteId: row.site_id,
    projectId: row.project_id,
    role: row.role,
    inviteeEmails: row.invitee_emails,
    inviteIds: row.invite_ids,
    startedAt: row.started_at.toISOString(),
    endedAt: iso(row.ended_at),
    lastActivityAt: row.last_activity_at.toISOString(),
    outcome: row.outcome,
    acceptedBy: row.accepted_by,
    revokedBy: row.revoked_by,
    failure: row.failure,
    nextReminderAt: row.next_reminder_at,
    expiresAt: row.expires_at === null ? null : new Date(row.expires_at).toISOString(),
    needsStaff: row.needs_staff,
  };
}

interface CursorPosition {
  sort: LedgerSort;
  order: LedgerOrder;
  at: string;
  id: string;
}

function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.sort, position.order, position.at, position.id])).toString(
    'base64url',
  );
}

function decodeCursor(cursor: string, sort: LedgerSort, order: LedgerOrder): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidLedgerInput('invalid cursor');
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 4 ||
    !parsed.every((p) => typeof p === 'string') ||
    Number.isNaN(Date.parse(parsed[2]))
  )
    throw new InvalidLedgerInput('invalid cursor');
  const [s, o, at, id] = parsed;
  if (s !== sort || o !== order) throw new InvalidLedgerInput('the cursor belongs to another sort or order');
  return { sort, order, at, id };
}

function checkWrite(write: LedgerWrite): void {
  const fail = (why: string): never => {
    throw new InvalidLedgerInput(`ledger write for ${String(write.handoffId)}: ${why}`);
  };
  if (typeof write.handoffId !== 'string' || !write.handoffId) fail('handoffId is required');
  if (typeof write.runId !== 'string' || !write.runId) fail('runId is required');
  if (!Number.isSafeInteger(write.version) || write.version < 0)
    fail('version must be a non-negative integer');
  if (!(HANDOFF_STATES as readonly string[]).includes(write.status?.state)) fail('status.state is unknown');
  if (!Array.isArray(write.status.invitees)) fail('status.invitees must be a list');
  if (Number.isNaN(Date.parse(write.startedAt))) fail('startedAt must be an ISO time');
  if (write.endedAt !== null && Number.isNaN(Date.parse(write.endedAt)))
    fail('endedAt must be an ISO time or null');
  if (!Array.isArray(write.audit)) fail('audit must be a list');
  for (const a of write.audit) {
    if (!Number.isSafeInteger(a.seq) || a.seq < 0 || a.seq > 2_147_483_647)
      fail(`audit seq ${a.seq} is invalid`);
    if (Number.isNaN(Date.parse(a.at))) fail(`audit seq ${a.seq}: at must be an ISO time`);
  }
}

function checkedDate(value: string, name: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new InvalidLedgerInput(`${name} must be an ISO time`);
  return date;
}

function latest(times: (string | null)[]): string {
  let best = Number.NEGATIVE_INFINITY;
  for (const t of times) if (t !== null) best = Math.max(best, Date.parse(t));
  return new Date(best).toISOString();
}

/** Time-to-accept bucket edges in hours; width_bucket numbers the buckets 0 (below the first) to their count. */
const ACCEPT_BUCKET_HOURS = [24, 48, 120, 240, 480, 720];
const ACCEPT_BUCKET_LABELS = [
  'under 1 day',
  '1–2 days',
  '2–5 days',
  '5–10 days',
  '10–20 days',
  '20–30 days',
  '30 days or more',
];

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Lookarounds both JavaScript and PostgreSQL regular expressions read alike. */
const addressPattern = (escaped: string): string => `(?<![A-Za-z0-9._%+-])${escaped}(?!\\.?[A-Za-z0-9-])`;

/** Applies `scrub` to every string inside a JSON value, keys included. */
function scrubDeep(status: StoredStatus, scrub: (text: string) => string): StoredStatus {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return scrub(value);
    if (Array.isArray(value)) return value.map(walk);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [scrub(k), walk(v)]));
    return value;
  };
  return walk(status) as StoredStatus;
}
