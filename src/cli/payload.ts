// The project-completed event for `complete`: from flags, or whole from a JSON file or stdin.
import { readFile } from 'node:fs/promises';
import { validateProjectCompleted } from '../../workflows/project-schema';
import type { ProjectCompleted } from '../../workflows/handoff-types';
import { InvalidInput, UsageError } from './errors';

export interface CompleteFlags {
  site?: string;
  project?: string;
  email?: string[];
  role?: string;
  language?: string;
  reminders?: string;
  poll?: string;
  maxRenewals?: number;
  file?: string;
}

/** Which flag sets which field, so a problem in a field can point at the flag to fix. */
const FLAG_FOR_FIELD: [field: string, flag: string][] = [
  ['siteId', '--site'],
  ['projectId', '--project'],
  ['customerEmails', '--email'],
  ['role', '--role'],
  ['language', '--language'],
  ['policy.reminders', '--reminders'],
  ['policy.acceptancePoll', '--poll'],
  ['policy.maxRenewals', '--max-renewals'],
];

const REQUIRED_FLAGS: [key: keyof CompleteFlags, flag: string][] = [
  ['site', '--site <siteId>'],
  ['project', '--project <projectId>'],
  ['email', '--email <email...>'],
  ['role', '--role <role>'],
];

const PAYLOAD_FLAGS: (keyof CompleteFlags)[] = [
  'site',
  'project',
  'email',
  'role',
  'language',
  'reminders',
  'poll',
  'maxRenewals',
];

async function readStream(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function readJson(file: string, stdin: NodeJS.ReadableStream): Promise<unknown> {
  const source = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await readStream(stdin) : await readFile(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
    throw new UsageError(`cannot read ${source}: ${reason}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(
      `${source} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      'Give the project-completed event as one JSON object, e.g. ' +
        '{"projectId":"PRJ-1","siteId":"<site GUID>","customerEmails":["a@b.example"],"role":"Website Manager"}',
    );
  }
}

/** "2 days, 5 days" → ['2 days', '5 days']; also accepts the flag repeated as one string each. */
const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function fromFlags(flags: CompleteFlags): Record<string, unknown> {
  const missing = REQUIRED_FLAGS.filter(([key]) => flags[key] === undefined).map(([, flag]) => flag);
  if (missing.length) {
    throw new UsageError(
      `missing ${missing.join(', ')}`,
      'Give the site, project, customer email(s) and role as flags, or the whole event with --file <payload.json>.',
    );
  }
  const policy = {
    ...(flags.reminders !== undefined ? { reminders: splitList(flags.reminders) } : {}),
    ...(flags.poll !== undefined ? { acceptancePoll: flags.poll } : {}),
    ...(flags.maxRenewals !== undefined ? { maxRenewals: flags.maxRenewals } : {}),
  };
  return {
    projectId: flags.project,
    siteId: flags.site,
    customerEmails: (flags.email ?? []).flatMap(splitList),
    role: flags.role,
    ...(flags.language !== undefined ? { language: flags.language } : {}),
    ...(Object.keys(policy).length ? { policy } : {}),
  };
}

/** Reads and validates the event before anything is sent, so bad input never needs a server. */
export async function readProjectCompleted(
  flags: CompleteFlags,
  stdin: NodeJS.ReadableStream,
): Promise<{ payload: unknown; project: ProjectCompleted }> {
  if (flags.file !== undefined) {
    const extra = PAYLOAD_FLAGS.filter((key) => flags[key] !== undefined);
    if (extra.length) {
      throw new UsageError(
        '--file gives the whole event: leave out the other event flags',
        `Remove ${extra.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')}, ` +
          'or put those fields in the file.',
      );
    }
  }
  const payload = flags.file !== undefined ? await readJson(flags.file, stdin) : fromFlags(flags);
  const validation = validateProjectCompleted(payload);
  if (!validation.ok) {
    const problems =
      flags.file !== undefined
        ? validation.problems
        : validation.problems.map((problem) => {
            const flag = FLAG_FOR_FIELD.find(([field]) => problem.startsWith(field))?.[1];
            return flag ? `${problem} (${flag})` : problem;
          });
    throw new InvalidInput(
      problems,
      flags.file === undefined ? undefined : flags.file === '-' ? 'stdin' : flags.file,
    );
  }
  return { payload, project: validation.project };
}
