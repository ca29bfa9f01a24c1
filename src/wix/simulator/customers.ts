// Simulated customers for the Wix simulator: each invitee has a plan (which email they act on, and how long after it
// they accept), and the simulator carries it out. Lazily by default: the acceptance is made real the first time a
// call touches the invite's site at simulator time ≥ its acceptAt (as of acceptAt), so no timer is needed and the
// simulator's clock may follow a time-skipping Temporal server. `materialize: 'timer'` accepts on a real-time timer
// instead, for runs on the wall clock where nothing may call Wix for a while (Wix's push hint is timed by it).
import { mulberry32 } from './faults';

/** What one invitee will do: accept `delayMs` after the `actOnEmail`-th email of their invite (1 = the invite). */
export interface CustomerPlan {
  /** Which email they act on: 1 is Bulk Invite's, each Resend Invite adds one; null = they never accept. */
  actOnEmail: number | null;
  delayMs: number;
}

/** Decides each invitee's plan from their address; must be a pure function for two runs to meet the same people. */
export type CustomerModel = (email: string) => CustomerPlan;

export interface SeededCustomerOptions {
  seed: number;
  /** Share who accept after the first email (default 0.6). */
  firstEmail?: number;
  /** Share who accept after one of `reminderEmails` (default 0.25); the rest never accept. */
  afterReminder?: number;
  /** Which emails count as "one of the reminders", drawn uniformly (default 2–5: the default 4 reminders). */
  reminderEmails?: readonly number[];
  /** Log-normal delay from the email acted on to the acceptance: its median (default 45 minutes) … */
  medianDelayMs?: number;
  /** … and its 90th percentile (default 12 hours). */
  p90DelayMs?: number;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The standard normal's 90th percentile. */
const Z90 = 1.2815515655446004;

// FNV-1a over the seed and the address: the same person gets the same draws whatever order invites arrive in.
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The customer model of issue 15: 60 % accept after the first email, 25 % after one of the reminders, 15 % never;
 * the delay is log-normal (median 45 minutes, p90 12 hours). Seeded: the same seed and address, the same plan.
 */
export function seededCustomers(options: SeededCustomerOptions): CustomerModel {
  const { first, reminder, plan } = modelParts(options);
  return (email) => {
    const d = drawsFor(options.seed, email);
    return plan(d, d.outcome < first ? 'first' : d.outcome < first + reminder ? 'reminder' : 'never');
  };
}

/**
 * The same model over a known population with the shares exact: of `people`, round(60 %) act on the first email,
 * round(25 %) on a reminder, the rest never, chosen by a seeded shuffle of the sorted addresses; each person's delay and reminder are their
 * seededCustomers draws. Anyone not in `people` gets seededCustomers' plan. Same seed and people, same plans.
 */
export function stratifiedCustomers(options: SeededCustomerOptions & { people: string[] }): CustomerModel {
  const { first, reminder, plan } = modelParts(options);
  const people = [...new Set(options.people.map(normalise))].sort();
  const random = mulberry32(hash(`${options.seed}:shuffle`));
  for (let i = people.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [people[i], people[j]] = [people[j], people[i]];
  }
  const firstCount = Math.round(first * people.length);
  const reminderCount = Math.round(reminder * people.length);
  const kinds = new Map<string, 'first' | 'reminder' | 'never'>(
    people.map((p, i) => [
      p,
      i < firstCount ? 'first' : i < firstCount + reminderCount ? 'reminder' : 'never',
    ]),
  );
  const fallback = seededCustomers(options);
  return (email) => {
    const kind = kinds.get(normalise(email));
    return kind === undefined ? fallback(email) : plan(drawsFor(options.seed, email), kind);
  };
}

interface Draws {
  outcome: number;
  which: number;
  z: number;
}

const normalise = (email: string): string => email.trim().toLowerCase();

function drawsFor(seed: number, email: string): Draws {
  const random = mulberry32(hash(`${seed}:${normalise(email)}`));
  // Always the same four draws, so changing one share never reshuffles the delays.
  const [outcome, which, u1, u2] = [random(), random(), random(), random()];
  // Box–Muller; 1 - u1 is in (0, 1], so the log is finite.
  const z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
  return { outcome, which, z };
}

function modelParts(options: SeededCustomerOptions): {
  first: number;
  reminder: number;
  plan: (d: Draws, kind: 'first' | 'reminder' | 'never') => CustomerPlan;
} {
  const first = options.firstEmail ?? 0.6;
  const reminder = options.afterReminder ?? 0.25;
  const reminders = options.reminderEmails ?? [2, 3, 4, 5];
  const median = options.medianDelayMs ?? 45 * MINUTE;
  const p90 = options.p90DelayMs ?? 12 * HOUR;
  if (first < 0 || reminder < 0 || first + reminder > 1)
    throw new Error('seededCustomers: firstEmail + afterReminder must be shares between 0 and 1');
  if (!(median > 0) || !(p90 >= median))
    throw new Error('seededCustomers: need 0 < medianDelayMs ≤ p90DelayMs');
  if (reminder > 0 && reminders.length === 0)
    throw new Error('seededCustomers: afterReminder needs reminderEmails');
  const sigma = Math.log(p90 / median) / Z90;
  const plan = (d: Draws, kind: 'first' | 'reminder' | 'never'): CustomerPlan => {
    const delayMs = Math.round(median * Math.exp(sigma * d.z));
    if (kind === 'first') return { actOnEmail: 1, delayMs };
    if (kind === 'reminder')
      return { actOnEmail: reminders[Math.floor(d.which * reminders.length)], delayMs };
    return { actOnEmail: null, delayMs };
  };
  return { first, reminder, plan };
}

/** One planned acceptance, from the email it follows to what became of it. */
export interface CustomerAcceptance {
  inviteId: string;
  siteId: string;
  email: string;
  /** The email acted on (1 = the invite) and when the simulator sent it. */
  emailNumber: number;
  sentAt: number;
  /** When the customer accepts: sentAt + the plan's delay. */
  acceptAt: number;
  /** `accepted` once made real (as of acceptAt); `missed` when the invite was no longer pending at acceptAt. */
  outcome: 'planned' | 'accepted' | 'missed';
  /** Simulator time at which the acceptance was made real (≥ acceptAt when lazy). */
  materializedAt?: number;
  /** Why a planned acceptance was missed (the invite expired, was revoked, …). */
  reason?: string;
}

/** What the simulator lets the customers do. */
export interface CustomerSite {
  acceptInvite(inviteId: string, accountId: string | undefined, now: number): unknown;
}

export interface SimulatedCustomersOptions {
  model: CustomerModel;
  /** 'lazy' (default): on the next call touching the site at or after acceptAt; 'timer': on a real-time timer. */
  materialize?: 'lazy' | 'timer';
}

/** The simulator's customers: counts each invite's emails, plans acceptances, and makes them real when due. */
export class SimulatedCustomers {
  private readonly model: CustomerModel;
  private readonly mode: 'lazy' | 'timer';
  private readonly emailsPerInvite = new Map<string, number>();
  private readonly planned = new Map<string, Set<CustomerAcceptance>>();
  private readonly all: CustomerAcceptance[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Set by the simulator in timer mode: makes the site's acceptances due by `acceptAt` real now. */
  onTimer: ((siteId: string, acceptAt: number) => void) | undefined;

  constructor(options: SimulatedCustomersOptions | CustomerModel) {
    const opts = typeof options === 'function' ? { model: options } : options;
    this.model = opts.model;
    this.mode = opts.materialize ?? 'lazy';
  }

  /** Told of every email the simulator sends (Bulk Invite's and each Resend's). */
  emailSent(email: { inviteId: string; siteId: string; to: string }, now: number): void {
    const n = (this.emailsPerInvite.get(email.inviteId) ?? 0) + 1;
    this.emailsPerInvite.set(email.inviteId, n);
    const plan = this.model(email.to);
    if (plan.actOnEmail !== n) return;
    const acceptance: CustomerAcceptance = {
      inviteId: email.inviteId,
      siteId: email.siteId,
      email: email.to,
      emailNumber: n,
      sentAt: now,
      acceptAt: now + Math.max(0, plan.delayMs),
      outcome: 'planned',
    };
    this.all.push(acceptance);
    let site = this.planned.get(email.siteId);
    if (!site) this.planned.set(email.siteId, (site = new Set()));
    site.add(acceptance);
    if (this.mode === 'timer') {
      const timer = setTimeout(
        () => {
          this.timers.delete(timer);
          this.onTimer?.(email.siteId, acceptance.acceptAt);
        },
        Math.max(0, plan.delayMs),
      );
      this.timers.add(timer);
    }
  }

  /**
   * Makes real every planned acceptance that is due at `now`, on `siteId` or (undefined) on every site: the invite
   * is accepted as of its acceptAt, so Wix sees the contributor from then on. Returns those made real.
   */
  settle(state: CustomerSite, siteId: string | undefined, now: number): CustomerAcceptance[] {
    const sites = siteId === undefined ? [...this.planned.keys()] : [siteId];
    const done: CustomerAcceptance[] = [];
    for (const id of sites) {
      const planned = this.planned.get(id);
      if (!planned) continue;
      for (const acceptance of [...planned].sort((a, b) => a.acceptAt - b.acceptAt)) {
        if (acceptance.acceptAt > now) continue;
        planned.delete(acceptance);
        acceptance.materializedAt = now;
        try {
          state.acceptInvite(acceptance.inviteId, undefined, acceptance.acceptAt);
          acceptance.outcome = 'accepted';
        } catch (err) {
          acceptance.outcome = 'missed';
          acceptance.reason = err instanceof Error ? err.message : String(err);
        }
        done.push(acceptance);
      }
      if (planned.size === 0) this.planned.delete(id);
    }
    return done;
  }

  /** Every acceptance planned so far, in the order the emails went out (copies). */
  acceptances(): CustomerAcceptance[] {
    return this.all.map((a) => ({ ...a }));
  }

  /** How many emails an invite has had. */
  emailsSent(inviteId: string): number {
    return this.emailsPerInvite.get(inviteId) ?? 0;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
