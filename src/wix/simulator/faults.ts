// Test-controlled misbehaviour (forced errors, hangs, delays) and the per-key token bucket behind 429s.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

const FAULT_ROUTES = ['bulk', 'resend', 'revoke', 'contributors', 'roles', 'any'] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];
export type WixRouteName = Exclude<FaultRoute, 'any'>;

// Retry-After as Wix may send it: delay-seconds, or an HTTP-date (any string Date.parse reads, sent as IMF-fixdate).
const retryAfterSchema = z.union([
  z.number().int().nonnegative(),
  z.string().refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be a date Date.parse can read' }),
]);

const faultSchema = z
  .object({
    count: z.number().int().positive(),
    route: z.enum(FAULT_ROUTES).optional(),
    status: z.union([z.literal(429), z.literal(500), z.literal(503), z.literal(504)]).optional(),
    hang: z.enum(['before-processing', 'after-processing']).optional(),
    delayMs: z.number().int().nonnegative().optional(),
    retryAfter: retryAfterSchema.optional(),
  })
  .strict()
  .refine((f) => f.status !== undefined || f.hang !== undefined || f.delayMs !== undefined, {
    message: 'a fault needs at least one of status, hang or delayMs',
  })
  .refine((f) => f.status === undefined || f.hang === undefined, {
    message: 'a fault cannot both answer with a status and hang',
  })
  .refine((f) => f.retryAfter === undefined || f.status === 429 || f.status === 503, {
    message: 'retryAfter goes only with status 429 or 503',
  });

type FaultSpec = z.infer<typeof faultSchema>;

export interface ActiveFault {
  status?: 429 | 500 | 503 | 504;
  hang?: 'before-processing' | 'after-processing';
  delayMs?: number;
  /** Seconds, or an HTTP-date, for the Retry-After header of a 429 or 503. */
  retryAfter?: number | string;
}

export function parseFault(input: unknown): FaultSpec {
  const parsed = faultSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'fault'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid fault: ${problems}`);
  }
  return parsed.data;
}

export class FaultQueue {
  private faults: { spec: FaultSpec; remaining: number }[] = [];

  add(spec: FaultSpec): void {
    this.faults.push({ spec, remaining: spec.count });
  }

  clear(): void {
    this.faults = [];
  }

  pending(): FaultSpec[] {
    return this.faults.map((f) => ({ ...f.spec, count: f.remaining }));
  }

  // Oldest matching fault wins, so faults queued for the same route play out in order.
  take(route: WixRouteName): ActiveFault | undefined {
    const entry = this.faults.find((f) => (f.spec.route ?? 'any') === 'any' || f.spec.route === route);
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.faults = this.faults.filter((f) => f !== entry);
    const { status, hang, delayMs, retryAfter } = entry.spec;
    return {
      ...(status !== undefined ? { status } : {}),
      ...(hang !== undefined ? { hang } : {}),
      ...(delayMs !== undefined ? { delayMs } : {}),
      ...(retryAfter !== undefined ? { retryAfter } : {}),
    };
  }
}

// Wall-clock token bucket: the simulated clock may jump by days, real request rates may not.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** `perWindow` calls per `windowMs` (Wix: 200 per minute); a shorter window time-scales the limit for benchmarks. */
  constructor(
    private readonly perWindow: number,
    private readonly windowMs = 60_000,
  ) {}

  tryTake(apiKey: string): boolean {
    if (this.perWindow <= 0) return true;
    const now = performance.now();
    const bucket = this.buckets.get(apiKey) ?? { tokens: this.perWindow, at: now };
    bucket.tokens = Math.min(
      this.perWindow,
      bucket.tokens + ((now - bucket.at) * this.perWindow) / this.windowMs,
    );
    bucket.at = now;
    this.buckets.set(apiKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}

const RANDOM_FAULT_STATUSES = [429, 500, 503, 504] as const;

const randomFaultSchema = z
  .object({
    probability: z.number().min(0).max(1),
    statuses: z.array(z.union([z.literal(429), z.literal(500), z.literal(503), z.literal(504)])).optional(),
    hangProbability: z.number().min(0).max(1).optional(),
    hang: z.enum(['before-processing', 'after-processing']).optional(),
    slowMs: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).optional(),
    seed: z.number().int().optional(),
    routes: z.array(z.enum(FAULT_ROUTES)).optional(),
  })
  .strict()
  .refine((f) => f.slowMs === undefined || f.slowMs[0] <= f.slowMs[1], {
    message: 'slowMs must be [min, max] with min <= max',
  })
  .refine((f) => (f.statuses ?? RANDOM_FAULT_STATUSES).length > 0 || (f.hangProbability ?? 0) >= 1, {
    message: 'statuses must not be empty unless every fault hangs',
  });

export type RandomFaultSpec = z.infer<typeof randomFaultSchema>;

/** What a random fault did to one call, as recorded in the simulator's call log. */
export type RandomFaultKind =
  `random ${429 | 500 | 503 | 504}` | `random hang ${'before' | 'after'}-processing`;

// mulberry32: tiny, fast and seedable, so a failing run can be replayed with the same seed.
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Faults drawn at random per Wix call: `probability` of a fault, of which `hangProbability` hang (`hang`,
 * default after processing) and the rest answer with one of `statuses`; `slowMs` delays every matching call.
 */
export class RandomFaults {
  private readonly random: () => number;
  private readonly statuses: readonly (429 | 500 | 503 | 504)[];

  constructor(readonly spec: RandomFaultSpec) {
    this.random = mulberry32(spec.seed ?? 1);
    this.statuses = spec.statuses ?? RANDOM_FAULT_STATUSES;
  }

  draw(route: WixRouteName): { fault: ActiveFault; kind?: RandomFaultKind } | undefined {
    const routes = this.spec.routes ?? ['any'];
    if (!routes.includes('any') && !routes.includes(route)) return undefined;
    // Always four draws per call, so one call's outcome never shifts the stream for the next.
    const [faultRoll, hangRoll, pickRoll, slowRoll] = [
      this.random(),
      this.random(),
      this.random(),
      this.random(),
    ];
    const [min, max] = this.spec.slowMs ?? [0, 0];
    const delayMs = Math.round(min + slowRoll * (max - min));
    const delay = delayMs > 0 ? { delayMs } : {};
    if (faultRoll >= this.spec.probability) return { fault: delay };
    if (hangRoll < (this.spec.hangProbability ?? 0) || this.statuses.length === 0) {
      const hang = this.spec.hang ?? 'after-processing';
      return { fault: { ...delay, hang }, kind: `random hang ${hang}` };
    }
    const status =
      this.statuses[Math.min(this.statuses.length - 1, Math.floor(pickRoll * this.statuses.length))];
    return { fault: { ...delay, status }, kind: `random ${status}` };
  }
}

export function parseRandomFaults(input: unknown): RandomFaultSpec {
  const parsed = randomFaultSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'random faults'}: ${i.message}`)
      .join('; ');
    throw new Error(`invalid random faults: ${problems}`);
  }
  return parsed.data;
}
