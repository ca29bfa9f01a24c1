// Console benchmark: the staff console's pages over a ledger of 100,000 realistic handoffs beside the same pages
// over 1,000, time to first byte (fetch) and to rendered (Chromium), plus EXPLAIN ANALYZE of the queries behind them.
import { mulberry32 } from '../src/wix/simulator/faults';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  CompiledQuery,
  sql,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
} from 'kysely';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../src/api/server';
import { Ledger, openLedger } from '../src/ledger';
import type { StoredStatus } from '../src/ledger/schema';
import type { HandoffState, InviteeStatus, InviteeStatusView } from '../workflows/handoff-types';
import { launchChromium } from '../test/support/browser';
import { startPostgres } from '../test/support/postgres';
import { median } from './support';

export type ConsoleBackend = 'pglite' | 'postgres';

export interface ConsoleBenchOptions {
  /** Handoffs in the large ledger (the figure the issue asks about). */
  handoffs: number;
  /** Handoffs in the small ledger measured beside it, to show how each page scales. */
  baseline: number;
  /** Timed fetches per page and ledger, after `warmup` untimed ones. */
  requests: number;
  warmup: number;
  /** Timed browser loads per page and ledger, after one untimed one. */
  renders: number;
  backends: ConsoleBackend[];
}

export interface PageFigures {
  /** Fetch start to response headers (undici): the server's whole work, since a page is sent in one piece. */
  ttfbMedianMs: number;
  ttfbP95Ms: number;
  /** Fetch start to the last body byte. */
  fullMedianMs: number;
  bytes: number;
  /** Chromium: navigation start to `load` with the main content present (charts drawn); null for JSON routes. */
  renderedMedianMs: number | null;
  renderedP95Ms: number | null;
  /** Chromium's own responseStart, for comparison with the fetch figure. */
  browserTtfbMedianMs: number | null;
  firstContentfulPaintMedianMs: number | null;
}

export interface ExplainedQuery {
  page: string;
  query: string;
  executionMs: number;
  plan: string[];
}

export interface ConsoleBackendResult {
  backend: ConsoleBackend;
  handoffs: number;
  baseline: number;
  fillSeconds: number;
  /** Rows in the large ledger. */
  rows: { handoffs: number; invitees: number; audit: number };
  pages: Record<PageKey, { path: string; large: PageFigures; small: PageFigures; ttfbRatio: number }>;
  /** The ledger calls a page makes, timed alone (median of `requests`), large and small. */
  queries: Record<string, { largeMs: number; smallMs: number }>;
  /** Plans of the large ledger's queries behind the list, search, overview and detail pages. */
  explain: ExplainedQuery[];
  /** The partial index the docs recommend, tried on the large ledger after everything above was measured. */
  needsStaffIndex: {
    countNeedingStaffMs: number;
    listTtfbMedianMs: number;
    stateFailedTtfbMedianMs: number;
    explain: ExplainedQuery[];
  };
}

export interface ConsoleResult {
  requests: number;
  renders: number;
  backends: ConsoleBackendResult[];
}

type PageKey =
  'list' | 'searchEmail' | 'searchSite' | 'stateFailed' | 'needsStaff' | 'overview' | 'detail' | 'apiList';

export const CONSOLE_PAGES: Record<PageKey, string> = {
  list: 'list, first page',
  searchEmail: 'search by customer email',
  searchSite: 'search by site id',
  stateFailed: 'state filter: failed',
  needsStaff: 'filter: needs staff',
  overview: 'overview, full year',
  detail: 'detail of an ended handoff',
  apiList: 'JSON API /v1/handoffs?limit=50',
};

const DAY_MS = 86_400_000;
const TOKEN = `bench-${randomBytes(12).toString('hex')}`;
const ROLES = ['Admin (Co-Owner)', 'Website Manager', 'Back Office Manager'];
const LOCALS = ['owner', 'office', 'marketing', 'anna', 'jonas', 'info'];
/** Handoffs per shared customer domain: a customer with several sites, so an address matches about this many. */
const SITES_PER_CUSTOMER = 10;

/** Seeded, so every run fills the same ledger. */
const random = mulberry32;

const guid = (prefix: number, i: number): string =>
  `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

interface HandoffRow {
  handoff_id: string;
  run_id: string;
  version: number;
  site_id: string;
  project_id: string;
  role: string;
  state: HandoffState;
  invitee_emails: string[];
  invite_ids: string[];
  started_at: string;
  ended_at: string | null;
  last_activity_at: string;
  outcome: string | null;
  accepted_by: string | null;
  revoked_by: string | null;
  failure: string | null;
  status: string;
}

interface InviteeRow {
  handoff_id: string;
  email: string;
  status: string;
  invite_id: string | null;
  expires_at: string | null;
  reminders_sent: number;
  renewals: number;
  accepted_at: string | null;
  problem: string | null;
}

interface AuditRow {
  handoff_id: string;
  seq: number;
  at: string;
  event: string;
  actor: string;
  detail: string | null;
}

interface Generated {
  handoffs: HandoffRow[];
  invitees: InviteeRow[];
  audit: AuditRow[];
  /** A customer address shared by several handoffs, a site id, and an ended handoff with 3 invitees. */
  probe: { email: string; siteId: string; endedHandoffId: string };
  firstDay: string;
  lastDay: string;
}

/** A state for a handoff of this age: recent ones still running, older ones mostly ended, a few failed at any age. */
function stateFor(ageDays: number, r: number): HandoffState {
  if (r < 0.03) return 'failed';
  if (ageDays < 1 && r < 0.06) return 'awaitingProject';
  if (ageDays < 1 && r < 0.1) return 'inviting';
  if (ageDays < 2 && r < 0.11) return 'revoking';
  if (ageDays < 30) return r < 0.7 ? 'pending' : r < 0.95 ? 'accepted' : 'revoked';
  if (ageDays < 60 && r < 0.25) return 'pending';
  return r < 0.72 ? 'accepted' : r < 0.88 ? 'expired' : 'revoked';
}

/**
 * The rows `ledger.record` would have written for `count` handoffs spread over the year before `now`, each with
 * 1–3 invitees and the audit trail its state implies; generated in memory and inserted in batches.
 */
function generate(count: number, prefix: number, now: number): Generated {
  const rand = random(prefix);
  const handoffs: HandoffRow[] = [];
  const invitees: InviteeRow[] = [];
  const audit: AuditRow[] = [];
  const yearStart = now - 365 * DAY_MS;
  let endedHandoffId = '';
  const sharedDomains = Math.max(1, Math.round((count * 0.5) / SITES_PER_CUSTOMER));
  for (let i = 0; i < count; i++) {
    const siteId = guid(prefix, i);
    const handoffId = `handoff-${siteId}`;
    const started = yearStart + ((i + rand()) / count) * 365 * DAY_MS;
    const ageDays = (now - started) / DAY_MS;
    const state = stateFor(ageDays, rand());
    const n = rand() < 0.6 ? 1 : rand() < 0.75 ? 2 : 3;
    const shared = rand() < 0.5;
    const domain = shared ? `client${Math.floor(rand() * sharedDomains)}.example` : `site${i}.example`;
    const emails = Array.from({ length: n }, (_, k) =>
      k === 0 ? `owner@${domain}` : `${LOCALS[(i + k) % LOCALS.length]}${i}@${domain}`,
    );
    const invited = state !== 'awaitingProject' && state !== 'inviting';
    const ended = state === 'accepted' || state === 'revoked' || state === 'expired';
    const reminders = invited
      ? Math.min(4, Math.floor(Math.min(ageDays, 30) / 5) + (rand() < 0.5 ? 0 : 1))
      : 0;
    const acceptedHours = 2 + rand() ** 2 * 24 * 25;

    const entries: Omit<AuditRow, 'handoff_id' | 'seq'>[] = [];
    let t = started;
    const add = (minutes: number, event: string, actor: string, detail: string | null = null) => {
      t += minutes * 60_000;
      entries.push({ at: new Date(t).toISOString(), event, actor, detail });
    };
    add(0, 'projectCompleted', 'project tool', emails.join(', '));
    if (state !== 'awaitingProject') {
      add(0.1, 'role resolved', 'wix', ROLES[i % ROLES.length]);
      add(0.01, 'state: inviting', 'workflow');
    }
    if (invited) {
      for (const email of emails) add(0.02, 'invite sent', 'wix', email);
      add(0.01, 'state: pending', 'workflow');
      for (let k = 0; k < reminders; k++) add((2 * DAY_MS) / 60_000, 'reminder sent', 'wix', emails[0]);
    }
    let failure: string | null = null;
    let revokedBy: string | null = null;
    const alerts: string[] = [];
    if (state === 'accepted') {
      t = Math.max(t, started + acceptedHours * 3600_000);
      add(0, 'accepted', 'wix', emails[0]);
      add(0.01, 'state: accepted', 'workflow');
    } else if (state === 'revoked' || state === 'revoking') {
      revokedBy = i % 2 ? 'staff:ana' : 'staff:ben';
      add(60 * 24 * 3, 'revoke requested', revokedBy, 'customer chose another agency');
      add(0.01, 'state: revoking', 'workflow');
      if (state === 'revoked') {
        add(0.05, 'state: revoked', 'workflow');
        if (rand() < 0.08) {
          const account = guid(0xacc, i);
          const alert = `Wix account ${account} holds role ${ROLES[i % ROLES.length]} on site ${siteId} although the handoff was revoked: if it should not, remove it (POST /v1/sites/${siteId}/contributors/${account}/remove, or Wix Remove Contributor)`;
          alerts.push(alert);
          add(0.01, 'ALERT contributor after revoke', 'wix', alert);
        }
      }
    } else if (state === 'expired') {
      add(60 * 24 * 2, 'invite renewed', 'wix', emails[0]);
      add(60 * 24 * 30, 'state: expired', 'workflow');
    } else if (state === 'failed') {
      failure =
        rand() < 0.5
          ? 'Bulk Invite timed out: whether Wix sent the invite is unknown; check, then retry'
          : 'Wix refused: the role "Back Office Manager" does not exist on this site';
      add(0.5, 'invite failed', 'wix', failure);
      add(0.01, 'state: failed', 'workflow');
    }
    const endedAt = ended ? new Date(t).toISOString() : null;

    const inviteeViews: InviteeStatusView[] = emails.map((email, k) => {
      const status: InviteeStatus =
        state === 'accepted'
          ? k === 0
            ? 'accepted'
            : 'pending'
          : state === 'revoked'
            ? 'revoked'
            : state === 'expired'
              ? 'expired'
              : state === 'failed'
                ? failure?.startsWith('Bulk')
                  ? 'unconfirmed'
                  : 'failed'
                : invited
                  ? 'pending'
                  : 'toInvite';
      return {
        email,
        status,
        inviteId: invited && status !== 'unconfirmed' ? `inv-${prefix}-${i}-${k}` : null,
        expiresAt: invited ? new Date(started + 30 * DAY_MS).toISOString() : null,
        remindersSent: k === 0 ? reminders : 0,
        renewals: state === 'expired' ? 1 : 0,
        acceptedAt: status === 'accepted' ? (entries.find((e) => e.event === 'accepted')?.at ?? null) : null,
        problem: status === 'failed' || status === 'unconfirmed' ? failure : null,
      };
    });
    const status: StoredStatus = {
      state,
      siteId,
      projectId: `PRJ-${1000 + i}`,
      role: ROLES[i % ROLES.length],
      roleId: `role-${i % ROLES.length}`,
      invitees: inviteeViews,
      remindersSent: reminders,
      nextReminderAt: state === 'pending' ? new Date(t + 3 * DAY_MS).toISOString() : null,
      failure,
      lastRefusal:
        i % 97 === 0
          ? { at: entries[entries.length - 1].at, request: 'revoke', reason: 'someone already accepted' }
          : null,
      alerts,
    };
    const accepted = inviteeViews.filter((v) => v.status === 'accepted').map((v) => v.email);
    handoffs.push({
      handoff_id: handoffId,
      run_id: `run-${prefix}-${i}`,
      version: entries.length,
      site_id: siteId,
      project_id: status.projectId!,
      role: status.role!,
      state,
      invitee_emails: emails,
      invite_ids: inviteeViews.flatMap((v) => (v.inviteId ? [v.inviteId] : [])),
      started_at: new Date(started).toISOString(),
      ended_at: endedAt,
      last_activity_at: entries[entries.length - 1].at,
      outcome: ended ? state : null,
      accepted_by: accepted.length ? accepted.join(', ') : null,
      revoked_by: revokedBy,
      failure,
      status: JSON.stringify(status),
    });
    for (const v of inviteeViews) {
      invitees.push({
        handoff_id: handoffId,
        email: v.email,
        status: v.status,
        invite_id: v.inviteId,
        expires_at: v.expiresAt,
        reminders_sent: v.remindersSent,
        renewals: v.renewals,
        accepted_at: v.acceptedAt,
        problem: v.problem,
      });
    }
    entries.forEach((e, seq) => audit.push({ handoff_id: handoffId, seq, ...e }));
    // The most recent ended handoff with three invitees: the detail page with the most to show.
    if (ended && n === 3) endedHandoffId = handoffId;
  }
  const probeDomain = `client${Math.floor(sharedDomains / 2)}.example`;
  return {
    handoffs,
    invitees,
    audit,
    probe: {
      email: `owner@${probeDomain}`,
      siteId: handoffs[Math.floor(count / 2)].site_id,
      endedHandoffId: endedHandoffId || handoffs.find((h) => h.ended_at)!.handoff_id,
    },
    firstDay: new Date(yearStart).toISOString().slice(0, 10),
    lastDay: new Date(now).toISOString().slice(0, 10),
  };
}

/** Rows per INSERT, kept under PostgreSQL's 65,535 bind parameters. */
const batchOf = (columns: number): number => Math.floor(60_000 / columns);

async function fill(ledger: Ledger, data: Generated): Promise<number> {
  const started = performance.now();
  const batches = async <T>(rows: T[], columns: number, insert: (batch: T[]) => Promise<unknown>) => {
    const size = batchOf(columns);
    for (let from = 0; from < rows.length; from += size) await insert(rows.slice(from, from + size));
  };
  await ledger.db.transaction().execute(async (trx) => {
    await batches(data.handoffs, 17, (b) => trx.insertInto('handoffs').values(b).execute());
    await batches(data.invitees, 9, (b) => trx.insertInto('handoff_invitees').values(b).execute());
    await batches(data.audit, 6, (b) => trx.insertInto('handoff_audit').values(b).execute());
  });
  // What autovacuum does on PostgreSQL by now: planner statistics and a visibility map for index-only scans.
  await sql`vacuum analyze`.execute(ledger.db);
  return (performance.now() - started) / 1000;
}

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
};

/** Records every query a ledger method runs, so it can be explained with its real SQL and parameters. */
class QueryCapture implements KyselyPlugin {
  readonly queries: CompiledQuery[] = [];
  // Subqueries pass through transformQuery too; only a query that returns a result was run on its own.
  private readonly compiled = new Map<string, CompiledQuery>();
  constructor(private readonly ledger: Ledger) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.compiled.set(
      args.queryId.queryId,
      this.ledger.db.getExecutor().compileQuery(args.node, args.queryId),
    );
    return args.node;
  }
  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const query = this.compiled.get(args.queryId.queryId);
    if (query) this.queries.push(query);
    return Promise.resolve(args.result);
  }
}

async function explainCalls(
  ledger: Ledger,
  page: string,
  call: (l: Ledger) => Promise<unknown>,
): Promise<ExplainedQuery[]> {
  const capture = new QueryCapture(ledger);
  const capturing = new Ledger({
    db: ledger.db.withPlugin(capture),
    backend: ledger.backend,
    close: () => Promise.resolve(),
  });
  await call(capturing);
  const explained: ExplainedQuery[] = [];
  for (const q of capture.queries) {
    const result = await ledger.db.executeQuery<{ 'QUERY PLAN': string }>(
      // Per-node timing off: PGlite's clock calls would otherwise multiply the execution time several times.
      CompiledQuery.raw(`explain (analyze, buffers, timing off) ${q.sql}`, [...q.parameters]),
    );
    const plan = result.rows.map((r) => r['QUERY PLAN']);
    const time = plan.map((l) => /Execution Time: ([\d.]+) ms/.exec(l)?.[1]).find(Boolean);
    explained.push({ page, query: q.sql.replace(/\s+/g, ' '), executionMs: Number(time ?? NaN), plan });
  }
  return explained;
}

interface Served {
  ledger: Ledger;
  data: Generated;
  api: FastifyInstance;
  url: string;
  cookie: string;
  context: BrowserContext;
  page: Page;
  paths: Record<PageKey, string>;
}

/** The API with the console as src/start.ts builds it; the measured pages never call Temporal, so a lazy client. */
async function serve(ledger: Ledger, data: Generated, client: Client, browser: Browser): Promise<Served> {
  const api = buildApi({
    client,
    namespace: 'default',
    taskQueue: 'site-handoff',
    webhookSecrets: [],
    apiTokens: [`bench:${TOKEN}`],
    ledger,
    console: { sessionSecret: randomBytes(32).toString('base64url') },
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(api.server.address() as { port: number }).port}`;
  const cookie = await signIn(url);
  // A context per server: cookies are per host, not per port, and each server signs its own.
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC' });
  const page = await context.newPage();
  await page.goto(`${url}/console/sign-in`);
  await page.getByLabel('Staff API token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Handoffs' }).waitFor();
  const { probe } = data;
  const paths: Record<PageKey, string> = {
    list: '/',
    searchEmail: `/?email=${encodeURIComponent(probe.email)}`,
    searchSite: `/?siteId=${encodeURIComponent(probe.siteId)}`,
    stateFailed: '/?state=failed',
    needsStaff: '/?needsStaff=1',
    overview: `/console/overview?from=${data.firstDay}&to=${data.lastDay}`,
    detail: `/console/handoffs/${encodeURIComponent(probe.endedHandoffId)}`,
    apiList: '/v1/handoffs?limit=50',
  };
  return { ledger, data, api, url, cookie, context, page, paths };
}

/** A real sign-in over HTTP: the CSRF cookie and form token from GET, then the form POST; returns the cookies. */
async function signIn(url: string): Promise<string> {
  const form = await fetch(`${url}/console/sign-in`, { redirect: 'manual' });
  const html = await form.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!csrf) throw new Error('the sign-in page has no CSRF field');
  const jar = new Map<string, string>();
  const keep = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  };
  keep(form);
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const res = await fetch(`${url}/console/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, token: TOKEN }).toString(),
  });
  await res.text();
  keep(res);
  if (res.status !== 303 || !jar.has('handoff_session')) throw new Error(`sign-in refused: ${res.status}`);
  return cookieHeader();
}

/** What each page must contain to count: a page that answered with an error or no rows is not a measurement. */
const MARKERS: Record<PageKey, string> = {
  list: 'data-handoff=',
  searchEmail: 'data-handoff=',
  searchSite: 'data-handoff=',
  stateFailed: 'data-handoff=',
  needsStaff: 'data-handoff=',
  overview: 'id="weeks-chart"',
  detail: 'class="timeline"',
  apiList: '"handoffs":[{',
};

interface Fetched {
  ttfb: number;
  full: number;
  bytes: number;
}

async function timedFetch(s: Served, key: PageKey): Promise<Fetched> {
  const headers: Record<string, string> =
    key === 'apiList' ? { authorization: `Bearer ${TOKEN}` } : { cookie: s.cookie };
  const url = `${s.url}${s.paths[key]}`;
  let t0 = performance.now();
  const res = await fetch(url, { headers, redirect: 'manual' }).catch(async (err: Error) => {
    // A keep-alive socket idle for about the server's 72 s can be closed as it is reused: once more, timed afresh.
    t0 = performance.now();
    return fetch(url, { headers, redirect: 'manual' }).catch((again: Error) => {
      throw new Error(
        `${s.paths[key]}: ${again.message} (${String(again.cause)}; first ${String(err.cause)})`,
      );
    });
  });
  const t1 = performance.now();
  const body = await res.text();
  const t2 = performance.now();
  if (res.status !== 200 || !body.includes(MARKERS[key]))
    throw new Error(`${s.paths[key]} answered ${res.status} without its content: ${body.slice(0, 300)}`);
  return { ttfb: t1 - t0, full: t2 - t0, bytes: Buffer.byteLength(body) };
}

interface Rendered {
  rendered: number;
  responseStart: number;
  fcp: number | null;
}

/** In the page after `load`: Navigation Timing, and when the main content was there (charts drawn for the overview). */
async function timedRender(s: Served, key: PageKey): Promise<Rendered> {
  await s.page.goto(`${s.url}${s.paths[key]}`, { waitUntil: 'load' });
  return s.page.evaluate(async (overview: boolean): Promise<Rendered> => {
    const ready = (): boolean => {
      if (overview) {
        const chart = (window as unknown as { Chart?: { getChart: (e: unknown) => unknown } }).Chart;
        return (
          chart !== undefined &&
          ['funnel-chart', 'tta-chart', 'weeks-chart'].every(
            (id) => chart.getChart(document.getElementById(id)) !== undefined,
          )
        );
      }
      return document.querySelector('#main h1') !== null && document.querySelector('#live') !== null;
    };
    const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
    const nav = () => performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    // Content present by `load` counts as rendered at loadEventEnd; later content counts when it appears.
    let readyAt = 0;
    for (let i = 0; !ready(); i++) {
      if (i > 600) throw new Error('the page never showed its content');
      readyAt = await frame();
    }
    while (nav().loadEventEnd === 0) await frame();
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null;
    return { rendered: Math.max(nav().loadEventEnd, readyAt), responseStart: nav().responseStart, fcp };
  }, key === 'overview');
}

const BROWSER_PAGES: PageKey[] = [
  'list',
  'searchEmail',
  'searchSite',
  'stateFailed',
  'needsStaff',
  'overview',
  'detail',
];
const PAGE_KEYS = Object.keys(CONSOLE_PAGES) as PageKey[];

async function openPair(
  backend: ConsoleBackend,
  stops: (() => Promise<void>)[],
): Promise<{ large: Ledger; small: Ledger }> {
  if (backend === 'postgres') {
    const pg = await startPostgres();
    stops.push(() => pg.stop());
    const large = await openLedger({ databaseUrl: pg.url });
    stops.push(() => large.close());
    await sql`create database small`.execute(large.db);
    const small = await openLedger({ databaseUrl: pg.url.replace(/\/postgres$/, '/small') });
    stops.push(() => small.close());
    return { large, small };
  }
  // On disk, as the embedded default keeps it (`$HANDOFF_DATA_DIR/ledger`).
  const dir = mkdtempSync(path.join(tmpdir(), 'console-bench-'));
  stops.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const large = await openLedger({ dataDir: path.join(dir, 'large') });
  stops.push(() => large.close());
  const small = await openLedger({ dataDir: path.join(dir, 'small') });
  stops.push(() => small.close());
  return { large, small };
}

async function measureBackend(
  backend: ConsoleBackend,
  options: ConsoleBenchOptions,
  browser: Browser,
  client: Client,
): Promise<ConsoleBackendResult> {
  const stops: (() => Promise<void>)[] = [];
  try {
    const { large, small } = await openPair(backend, stops);
    const now = Date.now();
    const largeData = generate(options.handoffs, 0xb16, now);
    const smallData = generate(options.baseline, 0x5a1, now);
    const fillSeconds = await fill(large, largeData);
    await fill(small, smallData);
    const servers = {
      large: await serve(large, largeData, client, browser),
      small: await serve(small, smallData, client, browser),
    };
    for (const s of Object.values(servers)) {
      stops.push(() => s.api.close());
      stops.push(() => s.context.close());
    }

    // Rounds interleave the two ledgers and every page, so drift on the shared machine hits all alike.
    const fetched: Record<'large' | 'small', Record<PageKey, Fetched[]>> = {
      large: Object.fromEntries(PAGE_KEYS.map((k) => [k, []])) as unknown as Record<PageKey, Fetched[]>,
      small: Object.fromEntries(PAGE_KEYS.map((k) => [k, []])) as unknown as Record<PageKey, Fetched[]>,
    };
    for (let round = 0; round < options.warmup + options.requests; round++) {
      for (const key of PAGE_KEYS) {
        for (const size of ['large', 'small'] as const) {
          const f = await timedFetch(servers[size], key);
          if (round >= options.warmup) fetched[size][key].push(f);
        }
      }
    }
    const rendered: Record<'large' | 'small', Partial<Record<PageKey, Rendered[]>>> = {
      large: {},
      small: {},
    };
    for (let round = 0; round < 1 + options.renders; round++) {
      for (const key of BROWSER_PAGES) {
        for (const size of ['large', 'small'] as const) {
          const r = await timedRender(servers[size], key);
          if (round >= 1) (rendered[size][key] ??= []).push(r);
        }
      }
    }
    const figures = (size: 'large' | 'small', key: PageKey): PageFigures => {
      const f = fetched[size][key];
      const r = rendered[size][key];
      const fcps = (r ?? []).flatMap((x) => (x.fcp === null ? [] : [x.fcp]));
      return {
        ttfbMedianMs: median(f.map((x) => x.ttfb)),
        ttfbP95Ms: percentile(
          f.map((x) => x.ttfb),
          0.95,
        ),
        fullMedianMs: median(f.map((x) => x.full)),
        bytes: f[0].bytes,
        renderedMedianMs: r ? median(r.map((x) => x.rendered)) : null,
        renderedP95Ms: r
          ? percentile(
              r.map((x) => x.rendered),
              0.95,
            )
          : null,
        browserTtfbMedianMs: r ? median(r.map((x) => x.responseStart)) : null,
        firstContentfulPaintMedianMs: fcps.length ? median(fcps) : null,
      };
    };
    const pages = Object.fromEntries(
      PAGE_KEYS.map((key) => {
        const l = figures('large', key);
        const sm = figures('small', key);
        return [
          key,
          {
            path: servers.large.paths[key],
            large: l,
            small: sm,
            ttfbRatio: l.ttfbMedianMs / sm.ttfbMedianMs,
          },
        ];
      }),
    ) as ConsoleBackendResult['pages'];

    // The ledger calls behind the pages, alone: which query a slow page waits for.
    const calls: Record<string, (l: Ledger, d: Generated) => Promise<unknown>> = {
      'list({ sort: started, limit: 50 })': (l) => l.list({ sort: 'started', order: 'desc', limit: 50 }),
      'countByState({})': (l) => l.countByState({}),
      'countNeedingStaff({})': (l) => l.countNeedingStaff({}),
      'list({ needsStaff, limit: 50 })': (l) =>
        l.list({ needsStaff: true, sort: 'started', order: 'desc', limit: 50 }),
      'list({ state: failed, limit: 50 })': (l) =>
        l.list({ state: 'failed', sort: 'started', order: 'desc', limit: 50 }),
      'list({ email, limit: 50 })': (l, d) =>
        l.list({ email: d.probe.email, sort: 'started', order: 'desc', limit: 50 }),
      'countByState({ email })': (l, d) => l.countByState({ email: d.probe.email }),
      'countNeedingStaff({ email })': (l, d) => l.countNeedingStaff({ email: d.probe.email }),
      'overview(full year)': (l, d) =>
        l.overview({
          from: `${d.firstDay}T00:00:00.000Z`,
          to: new Date(Date.parse(`${d.lastDay}T00:00:00Z`) + DAY_MS).toISOString(),
        }),
      'get(ended handoff)': (l, d) => l.get(d.probe.endedHandoffId),
    };
    const queries: ConsoleBackendResult['queries'] = {};
    for (const [name, call] of Object.entries(calls)) {
      const time = async (l: Ledger, d: Generated): Promise<number> => {
        for (let i = 0; i < options.warmup; i++) await call(l, d);
        const times: number[] = [];
        for (let i = 0; i < options.requests; i++) {
          const t0 = performance.now();
          await call(l, d);
          times.push(performance.now() - t0);
        }
        return median(times);
      };
      queries[name] = { largeMs: await time(large, largeData), smallMs: await time(small, smallData) };
    }

    const explain: ExplainedQuery[] = [];
    for (const [page, name] of [
      ['/', 'list({ sort: started, limit: 50 })'],
      ['/', 'countByState({})'],
      ['/', 'countNeedingStaff({})'],
      ['/?needsStaff=1', 'list({ needsStaff, limit: 50 })'],
      ['/?email=', 'list({ email, limit: 50 })'],
      ['/?email=', 'countByState({ email })'],
      ['/console/overview', 'overview(full year)'],
      ['/console/handoffs/:id', 'get(ended handoff)'],
    ] as const) {
      explain.push(...(await explainCalls(large, page, (l) => calls[name](l, largeData))));
    }

    // The recommended index on the needs-staff predicate, exactly as the ledger writes it, so the planner uses it.
    await sql`create index bench_handoffs_needs_staff on handoffs (started_at, handoff_id)
      where (state = 'failed' or coalesce(jsonb_array_length(status->'alerts'), 0) > 0)`.execute(large.db);
    await sql`vacuum analyze handoffs`.execute(large.db);
    const ttfbOf = async (key: PageKey): Promise<number> => {
      for (let i = 0; i < options.warmup; i++) await timedFetch(servers.large, key);
      const times: number[] = [];
      for (let i = 0; i < options.requests; i++) times.push((await timedFetch(servers.large, key)).ttfb);
      return median(times);
    };
    const countTimes: number[] = [];
    for (let i = 0; i < options.warmup + options.requests; i++) {
      const t0 = performance.now();
      await large.countNeedingStaff({});
      if (i >= options.warmup) countTimes.push(performance.now() - t0);
    }
    const needsStaffIndex = {
      countNeedingStaffMs: median(countTimes),
      listTtfbMedianMs: await ttfbOf('list'),
      stateFailedTtfbMedianMs: await ttfbOf('stateFailed'),
      explain: await explainCalls(large, '/ (with the index)', (l) => l.countNeedingStaff({})),
    };

    return {
      backend,
      handoffs: options.handoffs,
      baseline: options.baseline,
      fillSeconds,
      rows: {
        handoffs: largeData.handoffs.length,
        invitees: largeData.invitees.length,
        audit: largeData.audit.length,
      },
      pages,
      queries,
      explain,
      needsStaffIndex,
    };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => console.error(String(err)));
  }
}

export async function measureConsole(options: ConsoleBenchOptions): Promise<ConsoleResult> {
  const browser = await launchChromium();
  // Never dialled: the measured pages read the ledger only, so any Temporal call would fail the page (and the run).
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:9' }) });
  try {
    const backends: ConsoleBackendResult[] = [];
    for (const backend of options.backends) {
      const result = await measureBackend(backend, options, browser, client);
      backends.push(result);
      report(result);
    }
    return { requests: options.requests, renders: options.renders, backends };
  } finally {
    await browser.close();
  }
}

const ms = (x: number | null): string => (x === null ? '—' : x.toFixed(1));

function report(r: ConsoleBackendResult): void {
  const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
  console.log(
    `  console on ${r.backend}: ${r.rows.handoffs} handoffs, ${r.rows.invitees} invitees, ${r.rows.audit} audit entries (filled in ${r.fillSeconds.toFixed(1)} s)`,
  );
  console.table(
    Object.fromEntries(
      PAGE_KEYS.map((key) => {
        const p = r.pages[key];
        return [
          CONSOLE_PAGES[key],
          {
            [`TTFB ${k(r.baseline)}`]: `${ms(p.small.ttfbMedianMs)} / ${ms(p.small.ttfbP95Ms)}`,
            [`TTFB ${k(r.handoffs)}`]: `${ms(p.large.ttfbMedianMs)} / ${ms(p.large.ttfbP95Ms)}`,
            [`rendered ${k(r.baseline)}`]: ms(p.small.renderedMedianMs),
            [`rendered ${k(r.handoffs)}`]: ms(p.large.renderedMedianMs),
            ratio: p.ttfbRatio.toFixed(1),
          },
        ];
      }),
    ),
  );
  console.table(
    Object.fromEntries(
      Object.entries(r.queries).map(([name, q]) => [
        name,
        { [`${k(r.baseline)} ms`]: ms(q.smallMs), [`${k(r.handoffs)} ms`]: ms(q.largeMs) },
      ]),
    ),
  );
  for (const e of [...r.explain, ...r.needsStaffIndex.explain]) {
    console.log(`  ${e.page}  ${e.executionMs.toFixed(1)} ms  ${e.plan[0]?.trim()}`);
  }
  const x = r.needsStaffIndex;
  console.log(
    `  with a partial index on the needs-staff predicate: countNeedingStaff ${ms(x.countNeedingStaffMs)} ms, list TTFB ${ms(x.listTtfbMedianMs)} ms, state=failed TTFB ${ms(x.stateFailedTtfbMedianMs)} ms`,
  );
}
