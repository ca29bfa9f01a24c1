// Notifications (issue 14) on the dev server: how soon a delivery's first attempt reaches a loopback receiver after
// the ledger write that carries its audit entry, and how many deliveries per second the notifier makes for a
// burst, beside a plain loop POSTing the same signed requests with the same concurrency (the durable path's cost
// over a bare HTTP sender), and beside a second endpoint that fails half its attempts or never answers.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import axios from 'axios';
import { Webhook } from 'standardwebhooks';
import { signedHeaders } from '../activities/notify';
import { completeProject } from '../src/handoff-client';
import { HandoffWorkers } from '../src/handoff-worker';
import type { Ledger, LedgerAuditWrite, LedgerWrite, StoredStatus } from '../src/ledger';
import {
  Notifier,
  notificationsFor,
  webhookId,
  type NotificationEvent,
  type NotifyEndpoint,
} from '../src/notify';
import type { DeliveryInput } from '../workflows/deliver-notification';
import {
  benchLedger,
  handoffBundle,
  inBatches,
  median,
  sleepMs,
  startDevServer,
  startSandbox,
  until,
  type Sandbox,
} from './support';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

const SECRET = `whsec_${Buffer.alloc(24, 14).toString('base64')}`;
const CONSOLE = 'http://127.0.0.1:8080';

export interface NotifySize {
  /** Real handoffs driven to `pending`, each giving two events (started, invited), `inFlight` at a time. */
  latency: { handoffs: number; inFlight: number };
  /** `handoffs` × `eventsPerHandoff` events, one ledger write each, `concurrency` writes (or POSTs) in flight. */
  burst: {
    handoffs: number;
    eventsPerHandoff: number;
    concurrency: number;
    rounds: number;
    /** How long the failing endpoint's retries are watched after the burst (production schedule: 5 s, 15 s, …). */
    retryWindowMs: number;
    /** How long the healthy endpoint beside a hanging one may take before the bench reports what it got. */
    hangingCapMs: number;
    /** Real handoffs started on the same worker once the burst's writes are in (two healthy; and hanging). */
    handoffsBeside: number;
  };
}

export interface Spread {
  count: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

/** Handoffs started beside a burst: to the invite at the simulator, and to both their events at the endpoint. */
export interface HandoffsBeside {
  handoffs: number;
  toInvite: Spread;
  toEvents: Spread;
}

type BurstArm = 'baseline' | 'single' | 'twoHealthy' | 'failing';

export interface NotifyResult {
  /** Event recorded (the ledger write stored) → the first attempt arrived at the receiver. */
  latency: Spread & {
    handoffs: number;
    inFlight: number;
    /** Event recorded → its delivery workflow started (the client's start call returned). */
    toWorkflowStarted: Spread;
  };
  throughput: {
    events: number;
    handoffs: number;
    concurrency: number;
    rounds: number;
    /** Deliveries/s to one endpoint, first write to last acknowledgment; median of the rounds. */
    perSecond: number;
    /** The plain loop: the same signed POSTs, the same concurrency, to the same kind of receiver. */
    baselinePerSecond: number;
    ratio: number;
    /** The first endpoint's deliveries/s when every event also goes to a second, healthy endpoint (the control). */
    twoHealthyPerSecond: number;
    /** The same when the second endpoint answers 503 to every other request. */
    besideFailingPerSecond: number;
    /** notifyWrite called → first attempt at the receiver, during the one-endpoint burst (all rounds). */
    loadedLatency: Spread;
    baselineLatency: Spread;
    perRound: Record<BurstArm, number>[];
    /** Handoffs started on the worker once a two-healthy-endpoint burst's writes are in (every round). */
    handoffsBeside: HandoffsBeside;
    failing: {
      /** Deliveries the failing endpoint was asked for in the last round, and of those delivered in the window. */
      deliveries: number;
      deliveredInWindow: number;
      windowMs: number;
      attempts: number;
      answered503: number;
      /** Between a delivery's consecutive attempts (the schedule's first gap is 5 s). */
      retryGapMs: Spread | null;
    };
    /** webhook-ids acknowledged more than once, over every arm and round. */
    acknowledgedTwice: number;
    /** Requests whose signature did not verify with the standardwebhooks library. */
    unverified: number;
  };
  /** One run: the healthy endpoint while a second endpoint takes every request and never answers. */
  hanging: {
    events: number;
    /** The healthy endpoint's deliveries/s, first write to last acknowledgment (or to the cap). */
    healthyPerSecond: number;
    healthyDelivered: number;
    healthyMs: number;
    /** When half and nine tenths of the healthy endpoint's deliveries had arrived. */
    healthyHalfMs: number | null;
    healthyNinetyMs: number | null;
    cappedAtMs: number | null;
    /** Requests the hanging endpoint held open (each cut off by the 15 s attempt timeout). */
    hungRequests: number;
    /** The most it held open at once: that endpoint's attempts in flight (its worker's slots). */
    hungPeak: number;
    handoffsBeside: HandoffsBeside;
  };
}

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
};

const spread = (xs: number[]): Spread => ({
  count: xs.length,
  medianMs: xs.length ? median(xs) : NaN,
  p95Ms: xs.length ? quantile(xs, 0.95) : NaN,
  maxMs: xs.length ? Math.max(...xs) : NaN,
});

type Behaviour = 'ok' | 'fail-half' | 'hang';

/** A loopback Standard Webhooks receiver: verifies every request, answers as told, times arrivals. */
class BenchReceiver {
  /** webhook-id → arrival times (performance.now()) of every attempt. */
  readonly arrivals = new Map<string, number[]>();
  /** webhook-id → 2xx responses written out. */
  readonly acknowledged = new Map<string, number>();
  readonly ackTimes: number[] = [];
  /** webhook-id → its first 2xx written out. */
  readonly firstAck = new Map<string, number>();
  /** handoffId → the webhook-ids that arrived for it. */
  readonly perHandoff = new Map<string, Set<string>>();
  requests = 0;
  answered503 = 0;
  unverified = 0;
  /** Requests held open at once, at most: the sender's attempts in flight at this endpoint. */
  peakHeld = 0;
  private held = 0;
  private readonly hung: ServerResponse[] = [];
  private closed?: Promise<void>;

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly behaviour: Behaviour,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  get hungRequests(): number {
    return this.hung.length;
  }

  static async start(behaviour: Behaviour): Promise<BenchReceiver> {
    const webhook = new Webhook(SECRET);
    const holder: { r?: BenchReceiver } = {};
    const server = createServer((req, res) => {
      const at = performance.now();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = holder.r!;
        const n = r.requests++;
        const id = String(req.headers['webhook-id'] ?? '');
        const times = r.arrivals.get(id) ?? [];
        times.push(at);
        r.arrivals.set(id, times);
        const body = Buffer.concat(chunks).toString('utf8');
        try {
          const { data } = JSON.parse(body) as NotificationEvent;
          const ids = r.perHandoff.get(data.handoffId) ?? new Set<string>();
          r.perHandoff.set(data.handoffId, ids.add(id));
          webhook.verify(body, {
            'webhook-id': id,
            'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
            'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
          });
        } catch {
          r.unverified++;
        }
        if (behaviour === 'hang') {
          r.hung.push(res);
          r.peakHeld = Math.max(r.peakHeld, ++r.held);
          res.on('close', () => r.held--);
          return;
        }
        const ok = behaviour === 'ok' || n % 2 === 1;
        res.statusCode = ok ? 200 : 503;
        if (ok)
          res.on('finish', () => {
            r.acknowledged.set(id, (r.acknowledged.get(id) ?? 0) + 1);
            const now = performance.now();
            r.ackTimes.push(now);
            if (!r.firstAck.has(id)) r.firstAck.set(id, now);
          });
        else r.answered503++;
        res.end(ok ? 'ok' : 'try again later');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.r = new BenchReceiver(server, behaviour);
    return holder.r;
  }

  endpoint(name: string): NotifyEndpoint {
    return { kind: 'webhook', name, url: this.url, secrets: [SECRET] };
  }

  twice(): number {
    return [...this.acknowledged.values()].filter((n) => n > 1).length;
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closed;
  }
}

/** The burst's writes: per handoff, the project event, its invite and reminders, one ledger write each. */
function burstWrites(
  status: StoredStatus,
  handoffs: number,
  eventsPerHandoff: number,
): { writes: LedgerWrite[]; events: Map<string, NotificationEvent> } {
  const writes: LedgerWrite[] = [];
  const events = new Map<string, NotificationEvent>();
  const t0 = Date.now();
  for (let h = 0; h < handoffs; h++) {
    const handoffId = `handoff-notify-bench-${h}`;
    const email = `c-${h}@bench.example`;
    const trail: LedgerAuditWrite[] = Array.from({ length: eventsPerHandoff }, (_, i) => ({
      seq: i + 1,
      at: new Date(t0 + h * 1000 + i).toISOString(),
      actor: i === 0 ? 'project-tool' : 'site-handoff',
      ...(i === 0
        ? { event: 'projectCompleted', detail: `invite ${email}` }
        : i === 1
          ? { event: 'invite sent', detail: `${email} (invite inv-bench-${h})` }
          : { event: 'reminder sent', detail: email }),
    }));
    const facts = {
      handoffId,
      siteId: `site-bench-${h}`,
      projectId: 'PRJ-B',
      role: status.role,
      state: 'pending',
      failure: null,
      invitees: [{ email, status: 'pending' }],
    };
    for (const { seq, event } of notificationsFor(facts, trail, 0, CONSOLE))
      events.set(`${handoffId}#${seq}`, event);
    for (const entry of trail)
      writes.push({
        handoffId,
        runId: `run-bench-${h}`,
        version: entry.seq,
        status: { ...status, siteId: facts.siteId, projectId: 'PRJ-B' },
        startedAt: trail[0].at,
        endedAt: null,
        audit: [entry],
      });
  }
  // Event-major, so the writes in flight at once belong to different handoffs (one handoff writes in turn).
  writes.sort((a, b) => a.audit[0].seq - b.audit[0].seq || a.handoffId.localeCompare(b.handoffId));
  return { writes, events };
}

export async function measureNotify(size: NotifySize): Promise<NotifyResult> {
  const env = await startDevServer();
  const sandbox = await startSandbox();
  const ledger = await benchLedger();
  try {
    const latency = await measureLatency(env, sandbox, ledger, size.latency);
    console.log(
      `  notify latency: ${latency.count} events, median ${latency.medianMs.toFixed(0)} ms, ` +
        `p95 ${latency.p95Ms.toFixed(0)} ms, max ${latency.maxMs.toFixed(0)} ms`,
    );
    // The real status shape of a pending handoff, for the burst's writes.
    const sample = (await ledger.get(`handoff-${latencySites[0]}`))!;
    const { audit: _audit, handoffId: _id, runId: _run, startedAt: _at, endedAt: _end, ...status } = sample;
    const { throughput, hanging } = await measureBurst(env, sandbox, ledger, status, size.burst);
    return { latency, throughput, hanging };
  } finally {
    await sandbox.sim.close();
    await env.teardown();
  }
}

let latencySites: string[] = [];

async function measureLatency(
  env: TestWorkflowEnvironment,
  { sim, accountId, wix }: Sandbox,
  ledger: Ledger,
  { handoffs, inFlight }: NotifySize['latency'],
): Promise<NotifyResult['latency']> {
  const receiver = await BenchReceiver.start('ok');
  /** webhook-id → when the write carrying its audit entry was stored. */
  const recordedAt = new Map<string, number>();
  const startedAt = new Map<string, number>();
  const notifier = new Notifier({
    client: env.client,
    taskQueue: 'bench-notify-latency',
    config: { endpoints: [receiver.endpoint('latency')], consoleUrl: CONSOLE },
    db: ledger.db,
    onStarted: (_id, input: DeliveryInput) => {
      if (!startedAt.has(input.deliveryId)) startedAt.set(input.deliveryId, performance.now());
    },
  });
  // The ledger the workflow writes to, timing each write as it is stored; the notifier wraps it as in production.
  const timed: Pick<Ledger, 'record' | 'get'> = {
    get: (id) => ledger.get(id),
    record: async (write) => {
      const result = await ledger.record(write);
      const at = performance.now();
      for (const entry of write.audit) {
        const id = webhookId('latency', write.handoffId, entry.seq);
        if (!recordedAt.has(id)) recordedAt.set(id, at);
      }
      return result;
    },
  };
  const workers = await HandoffWorkers.create({
    connection: env.nativeConnection,
    taskQueue: 'bench-notify-latency',
    wix,
    ledger: timed,
    workflowBundle: await handoffBundle(),
    notifier,
  });
  try {
    latencySites = Array.from({ length: handoffs }, () => sim.addSite({ ownerAccountId: accountId }));
    await workers.runUntil(async () => {
      await inBatches(latencySites, inFlight, async (siteId) => {
        await completeProject(
          env.client,
          {
            projectId: 'PRJ-B',
            siteId,
            customerEmails: [`c-${siteId}@bench.example`],
            role: 'Admin (Co-Owner)',
          },
          { taskQueue: 'bench-notify-latency' },
        );
        // One handoff's two events in flight per starter: the latency is measured at a light load.
        await until(
          () => (receiver.perHandoff.get(`handoff-${siteId}`)?.size ?? 0) >= 2,
          'a handoff’s two deliveries',
          120_000,
        );
      });
      await until(() => receiver.acknowledged.size >= 2 * handoffs, 'the latency deliveries', 120_000);
    });
    const toFirst: number[] = [];
    const toStarted: number[] = [];
    for (const [id, times] of receiver.arrivals) {
      const recorded = recordedAt.get(id);
      if (recorded === undefined) throw new Error(`A delivery ${id} arrived for no recorded write`);
      toFirst.push(times[0] - recorded);
      const started = startedAt.get(id);
      if (started !== undefined) toStarted.push(started - recorded);
    }
    if (receiver.unverified) throw new Error(`${receiver.unverified} deliveries did not verify`);
    return { ...spread(toFirst), handoffs, inFlight, toWorkflowStarted: spread(toStarted) };
  } finally {
    await receiver.close();
  }
}

async function measureBurst(
  env: TestWorkflowEnvironment,
  { sim, accountId, wix }: Sandbox,
  ledger: Ledger,
  status: StoredStatus,
  size: NotifySize['burst'],
): Promise<Pick<NotifyResult, 'throughput' | 'hanging'>> {
  const { handoffs, eventsPerHandoff, concurrency, rounds } = size;
  const { writes, events } = burstWrites(status, handoffs, eventsPerHandoff);
  const total = writes.length;
  // Stored once, untimed: the handoffs' writes happen anyway; what is timed is the notifier's work after them.
  const byHandoff = new Map<string, LedgerWrite[]>();
  for (const w of writes) byHandoff.set(w.handoffId, [...(byHandoff.get(w.handoffId) ?? []), w]);
  await inBatches([...byHandoff.values()], 10, async (ws) => {
    for (const w of ws.sort((a, b) => a.version - b.version)) await ledger.record(w);
  });

  let acknowledgedTwice = 0;
  let unverified = 0;
  const loaded: number[] = [];
  const baselineLatency: number[] = [];
  let failing: NotifyResult['throughput']['failing'] | undefined;
  let run = 0;

  /** A plain loop: the same bodies, signed the same way, POSTed with the same client options. */
  async function baseline(): Promise<number> {
    const receiver = await BenchReceiver.start('ok');
    const http = axios.create();
    const name = `plain${++run}`;
    try {
      const t0 = performance.now();
      const called = new Map<string, number>();
      await inBatches(writes, concurrency, async (w) => {
        const seq = w.audit[0].seq;
        const id = webhookId(name, w.handoffId, seq);
        const body = JSON.stringify(events.get(`${w.handoffId}#${seq}`));
        const at = new Date();
        called.set(id, performance.now());
        const response = await http.post<NodeJS.ReadableStream & { destroy(): void }>(receiver.url, body, {
          headers: {
            'content-type': 'application/json',
            'user-agent': 'bench-plain/1',
            ...signedHeaders([SECRET], id, at, body),
          },
          timeout: 15_000,
          signal: AbortSignal.timeout(15_000),
          maxRedirects: 0,
          validateStatus: () => true,
          responseType: 'stream',
          transformRequest: [(data: string) => data],
        });
        response.data.destroy();
      });
      await until(() => receiver.acknowledged.size >= total, 'the plain POSTs', 120_000);
      for (const [id, times] of receiver.arrivals) baselineLatency.push(times[0] - called.get(id)!);
      acknowledgedTwice += receiver.twice();
      unverified += receiver.unverified;
      return total / ((Math.max(...receiver.ackTimes) - t0) / 1000);
    } finally {
      await receiver.close();
    }
  }

  /**
   * The notifier on its own worker and task queue: every write to `notifyWrite`, `concurrency` at once, delivered
   * to `healthy` and, given, to a second endpoint; `handoffsBeside` real handoffs are started on the same worker
   * once the writes are in. Returns the healthy endpoint's deliveries/s over the burst's events.
   */
  async function durable(
    second: Behaviour | undefined,
    options: { capMs?: number; windowMs?: number; loadedLatency?: boolean; handoffsBeside?: number } = {},
  ): Promise<{
    perSecond: number;
    delivered: number;
    /** The healthy endpoint's burst acknowledgments, ms after the first write, in order. */
    acks: number[];
    healthy: BenchReceiver;
    other?: BenchReceiver;
    t0: number;
    ms: number;
    /** ms from each handoff's start to its invite at the simulator, and to both its events at `healthy`. */
    beside: { toInvite: number[]; toEvents: number[] };
  }> {
    const tag = `r${++run}`;
    const taskQueue = `bench-notify-${tag}`;
    const healthy = await BenchReceiver.start('ok');
    const other = second ? await BenchReceiver.start(second) : undefined;
    const healthyName = `healthy-${tag}`;
    const otherName = `second-${tag}`;
    const burstIds = (name: string) => writes.map((w) => webhookId(name, w.handoffId, w.audit[0].seq));
    const healthyIds = burstIds(healthyName);
    const workflowIds = new Map<string, DeliveryInput>();
    const notifier = new Notifier({
      client: env.client,
      taskQueue,
      config: {
        endpoints: [healthy.endpoint(healthyName), ...(other ? [other.endpoint(otherName)] : [])],
        consoleUrl: CONSOLE,
      },
      db: ledger.db,
      onStarted: (id, input) => workflowIds.set(id, input),
    });
    const workers = await HandoffWorkers.create({
      connection: env.nativeConnection,
      taskQueue,
      wix,
      ledger,
      workflowBundle: await handoffBundle(),
      notifier,
    });
    const beside = { toInvite: [] as number[], toEvents: [] as number[] };
    try {
      return await workers.runUntil(async () => {
        const called = new Map<string, number>();
        const t0 = performance.now();
        await inBatches(writes, concurrency, async (w) => {
          called.set(webhookId(healthyName, w.handoffId, w.audit[0].seq), performance.now());
          await notifier.notifyWrite(w);
        });
        const sites = Array.from({ length: options.handoffsBeside ?? 0 }, () =>
          sim.addSite({ ownerAccountId: accountId }),
        );
        const besideDone = inBatches(sites, 5, async (siteId) => {
          const started = performance.now();
          const email = `c-${siteId}@bench.example`;
          await completeProject(
            env.client,
            { projectId: 'PRJ-B', siteId, customerEmails: [email], role: 'Admin (Co-Owner)' },
            { taskQueue },
          );
          await until(() => sim.emailCount(email) > 0, 'an invite beside the burst', 600_000);
          beside.toInvite.push(performance.now() - started);
          await until(
            () => (healthy.perHandoff.get(`handoff-${siteId}`)?.size ?? 0) >= 2,
            'the events of a handoff beside the burst',
            600_000,
          );
          beside.toEvents.push(performance.now() - started);
        });
        try {
          await until(
            () => healthyIds.every((id) => healthy.firstAck.has(id)),
            'the healthy endpoint’s deliveries',
            options.capMs ?? 600_000,
          );
        } catch (err) {
          if (options.capMs === undefined) throw err;
        }
        const acks = healthyIds.flatMap((id) => healthy.firstAck.get(id) ?? []);
        const ms = (acks.length ? Math.max(...acks) : performance.now()) - t0;
        if (options.loadedLatency)
          for (const id of healthyIds) {
            const first = healthy.arrivals.get(id)?.[0];
            if (first !== undefined) loaded.push(first - called.get(id)!);
          }
        if (second === 'ok') {
          const otherIds = burstIds(otherName);
          await until(
            () => otherIds.every((id) => other!.firstAck.has(id)),
            'the second endpoint’s deliveries',
            600_000,
          );
        }
        await besideDone;
        if (options.windowMs) await sleepMs(Math.max(0, t0 + options.windowMs - performance.now()));
        // What is still retrying (or hanging) ends here, so it does not weigh on the next arm.
        const open = [...workflowIds]
          .filter(
            ([, input]) =>
              !(input.endpoint === healthyName ? healthy : other)?.firstAck.has(input.deliveryId),
          )
          .map(([id]) => id);
        // Held-open requests are cut now rather than at their 15 s timeout, which the worker's shutdown would await;
        // their attempts fail before the workflows are terminated (else the worker warns of unknown completions).
        await other?.close();
        await sleepMs(300);
        await inBatches(open, 50, async (id) => {
          await env.client.workflow
            .getHandle(id)
            .terminate('benchmark arm finished')
            .catch(() => undefined);
        });
        // The healthy deliveries' workflows close just after their acknowledgment.
        await sleepMs(500);
        acknowledgedTwice += healthy.twice() + (other?.twice() ?? 0);
        unverified += healthy.unverified + (other?.unverified ?? 0);
        return {
          perSecond: acks.length / (ms / 1000),
          delivered: acks.length,
          acks: acks.map((a) => a - t0).sort((a, b) => a - b),
          healthy,
          ...(other ? { other } : {}),
          t0,
          ms,
          beside,
        };
      });
    } finally {
      await healthy.close();
      await other?.close();
    }
  }

  const ARMS: BurstArm[] = ['baseline', 'single', 'twoHealthy', 'failing'];
  const besideHealthy = { toInvite: [] as number[], toEvents: [] as number[] };
  const perRound: Record<BurstArm, number>[] = [];
  // A short warm-up on both sides, so neither pays for first use in round 1.
  await baseline();
  await durable(undefined);
  loaded.length = 0;
  baselineLatency.length = 0;
  for (let round = 0; round < rounds; round++) {
    const measured = {} as Record<BurstArm, number>;
    for (let i = 0; i < ARMS.length; i++) {
      const arm = ARMS[(i + round) % ARMS.length];
      if (arm === 'baseline') measured.baseline = await baseline();
      else if (arm === 'single')
        measured.single = (await durable(undefined, { loadedLatency: true })).perSecond;
      else if (arm === 'twoHealthy') {
        const r = await durable('ok', { handoffsBeside: size.handoffsBeside });
        measured.twoHealthy = r.perSecond;
        besideHealthy.toInvite.push(...r.beside.toInvite);
        besideHealthy.toEvents.push(...r.beside.toEvents);
      } else {
        const r = await durable('fail-half', { windowMs: size.retryWindowMs });
        measured.failing = r.perSecond;
        const gaps = [...r.other!.arrivals.values()].flatMap((ts) => ts.slice(1).map((t, k) => t - ts[k]));
        failing = {
          deliveries: total,
          deliveredInWindow: r.other!.acknowledged.size,
          windowMs: size.retryWindowMs,
          attempts: r.other!.requests,
          answered503: r.other!.answered503,
          retryGapMs: gaps.length ? spread(gaps) : null,
        };
      }
    }
    perRound.push(measured);
    console.log(
      `  notify round ${round + 1}: plain loop ${measured.baseline.toFixed(0)}/s, ` +
        `notifier ${measured.single.toFixed(0)}/s, beside a 2nd healthy endpoint ${measured.twoHealthy.toFixed(0)}/s, ` +
        `beside a failing one ${measured.failing.toFixed(0)}/s`,
    );
  }

  const h = await durable('hang', { capMs: size.hangingCapMs, handoffsBeside: size.handoffsBeside });
  const fraction = (f: number): number | null => h.acks[Math.ceil(f * total) - 1] ?? null;
  const hanging: NotifyResult['hanging'] = {
    events: total,
    healthyPerSecond: h.perSecond,
    healthyDelivered: h.delivered,
    healthyMs: h.ms,
    healthyHalfMs: fraction(0.5),
    healthyNinetyMs: fraction(0.9),
    cappedAtMs: h.delivered < total ? size.hangingCapMs : null,
    hungRequests: h.other!.hungRequests,
    hungPeak: h.other!.peakHeld,
    handoffsBeside: {
      handoffs: h.beside.toInvite.length,
      toInvite: spread(h.beside.toInvite),
      toEvents: spread(h.beside.toEvents),
    },
  };
  console.log(
    `  notify beside a hanging endpoint: ${hanging.healthyDelivered}/${total} in ${(h.ms / 1000).toFixed(1)} s ` +
      `(${h.perSecond.toFixed(1)}/s), ${hanging.hungRequests} requests held open (at most ${hanging.hungPeak} at once); ` +
      `handoffs started then: ` +
      `invite after ${hanging.handoffsBeside.toInvite.medianMs.toFixed(0)} ms, ` +
      `both events after ${hanging.handoffsBeside.toEvents.medianMs.toFixed(0)} ms (medians)`,
  );

  const perSecond = median(perRound.map((r) => r.single));
  const baselinePerSecond = median(perRound.map((r) => r.baseline));
  return {
    throughput: {
      events: total,
      handoffs,
      concurrency,
      rounds,
      perSecond,
      baselinePerSecond,
      ratio: perSecond / baselinePerSecond,
      twoHealthyPerSecond: median(perRound.map((r) => r.twoHealthy)),
      besideFailingPerSecond: median(perRound.map((r) => r.failing)),
      loadedLatency: spread(loaded),
      baselineLatency: spread(baselineLatency),
      perRound,
      handoffsBeside: {
        handoffs: besideHealthy.toInvite.length,
        toInvite: spread(besideHealthy.toInvite),
        toEvents: spread(besideHealthy.toEvents),
      },
      failing: failing!,
      acknowledgedTwice,
      unverified,
    },
    hanging,
  };
}
