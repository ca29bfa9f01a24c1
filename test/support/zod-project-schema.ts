// The zod schema the workflow used before the dependency-free validator (bench/memory.ts: zod cost ~1.2 MB per
// cached workflow): kept only as the oracle of the differential test, so both accept and refuse the same payloads.
import { z } from 'zod';
import { msToNumber } from '@temporalio/common/lib/time';
import { DEFAULT_POLICY } from '../../workflows/invite-machine';
import type { ProjectCompleted, ResolvedPolicy } from '../../workflows/handoff-types';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Wix documents no per-call maximum for Bulk Invite; its sibling Account Invites caps at 50. */
export const MAX_EMAILS_PER_HANDOFF = 50;
const MAX_DURATION_MS = 365 * 24 * 3600 * 1000;

function toMs(value: string | number): number | undefined {
  try {
    const ms = typeof value === 'number' ? value : msToNumber(value as Parameters<typeof msToNumber>[0]);
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

const duration = (what: string, minMs: number) =>
  z.union([z.string().max(40), z.number()]).superRefine((value, ctx) => {
    const ms = toMs(value);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a duration like '2 days', '6h' or '30s'` });
    } else if (ms < minMs || ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: `${what} must be between ${minMs / 1000}s and 365 days` });
    }
  });

const text = (what: string, max: number) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what} must be at most ${max} characters`)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what} must not contain control characters`);

export const projectCompletedSchema = z
  .object({
    projectId: text('projectId', 200),
    siteId: z
      .string({ error: 'siteId must be a string' })
      .trim()
      .regex(GUID, 'siteId must be the Wix site id, a GUID like 9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d')
      .transform((id) => id.toLowerCase()),
    customerEmails: z
      .array(z.email({ error: 'must be a valid email address' }).max(254), {
        error: 'customerEmails must be a list of email addresses',
      })
      .min(1, 'customerEmails must name at least one customer')
      .max(MAX_EMAILS_PER_HANDOFF, `customerEmails may hold at most ${MAX_EMAILS_PER_HANDOFF} addresses`),
    role: text('role', 100),
    language: z
      .string()
      .regex(/^[a-z]{2}$/, "language must be a two-letter ISO 639-1 code such as 'en'")
      .optional(),
    policy: z
      .object({
        reminders: z
          .array(duration('each reminder', 1000))
          .max(20, 'at most 20 reminders')
          .refine((list) => {
            const ms = list.map(toMs);
            return ms.every(
              (v, i) => i === 0 || (v !== undefined && ms[i - 1] !== undefined && v > ms[i - 1]!),
            );
          }, 'reminders must be in increasing order, without repeats')
          .optional(),
        acceptancePoll: duration('acceptancePoll', 1000).optional(),
        maxRenewals: z
          .number()
          .int('maxRenewals must be a whole number')
          .min(0, 'maxRenewals must be 0 or more')
          .max(12, 'maxRenewals must be at most 12')
          .optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type ProjectCompletedInput = z.input<typeof projectCompletedSchema>;

export type ProjectValidation =
  { ok: true; project: ProjectCompleted; policy: ResolvedPolicy } | { ok: false; problems: string[] };

function describePath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, part) =>
      typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part),
    '',
  );
}

/** Validates a project-completed payload and resolves its reminder policy, with every problem named. */
export function validateProjectCompleted(
  input: unknown,
  defaults: ResolvedPolicy = DEFAULT_POLICY,
): ProjectValidation {
  const parsed = projectCompletedSchema.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => {
        const where = describePath(issue.path);
        if (issue.code === 'unrecognized_keys') {
          return `${where ? `${where}: ` : ''}unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
        }
        return where && !issue.message.startsWith(where) ? `${where}: ${issue.message}` : issue.message;
      }),
    };
  }
  const { policy: input_policy, ...rest } = parsed.data;
  const reminders = input_policy?.reminders?.map((d) => toMs(d)!) ?? defaults.reminderOffsetsMs;
  const emails = [...new Set(rest.customerEmails.map((e) => e.trim().toLowerCase()))];
  return {
    ok: true,
    project: { ...rest, customerEmails: emails, ...(input_policy ? { policy: input_policy } : {}) },
    policy: {
      reminderOffsetsMs: reminders,
      acceptancePollMs:
        input_policy?.acceptancePoll !== undefined
          ? toMs(input_policy.acceptancePoll)!
          : defaults.acceptancePollMs,
      maxRenewals: input_policy?.maxRenewals ?? defaults.maxRenewals,
    },
  };
}
