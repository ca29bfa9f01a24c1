// Test-controlled misbehaviour (forced errors, hangs, delays) and the per-key token bucket behind 429s.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

export const FAULT_ROUTES = ['bulk', 'resend', 'revoke', 'contributors', 'roles', 'any'] as const;
export type FaultRoute = (typeof FAULT_ROUTES)[number];
export type WixRouteName = Exclude<FaultRoute, 'any'>;

export const faultSchema = z
  .object({
    count: z.number().int().positive(),
    route: z.enum(FAULT_ROUTES).optional(),
    status: z.union([z.literal(429), z.literal(500), z.literal(503), z.literal(504)]).optional(),
    hang: z.enum(['before-processing', 'after-processing']).optional(),
    delayMs: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((f) => f.status !== undefined || f.hang !== undefined || f.delayMs !== undefined, {
    message: 'a fault needs at least one of status, hang or delayMs',
  })
  .refine((f) => f.status === undefined || f.hang === undefined, {
    message: 'a fault cannot both answer with a status and hang',
  });

export type FaultSpec = z.infer<typeof faultSchema>;

export interface ActiveFault {
  status?: 429 | 500 | 503 | 504;
  hang?: 'before-processing' | 'after-processing';
  delayMs?: number;
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
    const { status, hang, delayMs } = entry.spec;
    return {
      ...(status !== undefined ? { status } : {}),
      ...(hang !== undefined ? { hang } : {}),
      ...(delayMs !== undefined ? { delayMs } : {}),
    };
  }
}

// Wall-clock token bucket: the simulated clock may jump by days, real request rates may not.
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly perMinute: number) {}

  tryTake(apiKey: string): boolean {
    if (this.perMinute <= 0) return true;
    const now = performance.now();
    const bucket = this.buckets.get(apiKey) ?? { tokens: this.perMinute, at: now };
    bucket.tokens = Math.min(this.perMinute, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
    bucket.at = now;
    this.buckets.set(apiKey, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
