// The dependency-free validator against the zod schema it replaced: running handoffs re-validate their signals on
// replay, so both must accept and refuse the same payloads and resolve them to the same project and policy.
import fc from 'fast-check';
import { validateProjectCompleted } from '../workflows/project-schema';
import { validateProjectCompleted as zodValidate } from './support/zod-project-schema';

const SITE_ID = '9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d';

const anything = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);
const text = fc.oneof(
  fc.constantFrom(
    'PRJ-1',
    ' Admin (Co-Owner) ',
    'Website Manager',
    '',
    '   ',
    'a\u0007b',
    'x\u007f',
    'R'.repeat(101),
    'R'.repeat(100),
    'P'.repeat(200),
    'P'.repeat(201),
  ),
  fc.string({ maxLength: 210 }),
  anything,
);
const email = fc.oneof(
  fc.emailAddress(),
  fc.constantFrom(
    'Anna.Keller@Keller-Bakery.CH',
    'not-an-email',
    'a@b',
    "o'brien@x.ie",
    'a..b@x.io',
    ' a@b.io',
  ),
  fc.string({ maxLength: 30 }),
  anything,
);
const durationValue = fc.oneof(
  fc.constantFrom(
    '2 days',
    '48h',
    '1s',
    '500ms',
    '-5s',
    '400 days',
    '365 days',
    'soon',
    '1m',
    '30s',
    'x'.repeat(41),
  ),
  fc.integer({ min: -10, max: 400 * 86_400_000 }),
  fc.double(),
  anything,
);
const policy = fc.oneof(
  fc.record(
    {
      reminders: fc.oneof(fc.array(durationValue, { maxLength: 22 }), anything),
      acceptancePoll: durationValue,
      maxRenewals: fc.oneof(fc.integer({ min: -2, max: 14 }), fc.double(), anything),
      reminder: fc.constant(['2 days']),
    },
    { requiredKeys: [] },
  ),
  anything,
);
const payload = fc.record(
  {
    projectId: text,
    siteId: fc.oneof(fc.constantFrom(SITE_ID, ` ${SITE_ID.toUpperCase()}\n`, 'keller-bakery'), anything),
    customerEmails: fc.oneof(fc.array(email, { maxLength: 52 }), email),
    role: text,
    language: fc.oneof(fc.constantFrom('en', 'de', 'EN', 'english', 'deu', 'e', ' en'), anything),
    policy,
    extra: anything,
  },
  { requiredKeys: [] },
);
// Mostly valid payloads with one field varied, so acceptance is exercised as much as refusal.
const nearlyValid = fc
  .record({
    field: fc.constantFrom('projectId', 'siteId', 'customerEmails', 'role', 'language', 'policy', 'none'),
    value: fc.oneof(
      text,
      email,
      policy,
      fc.array(email, { maxLength: 3 }),
      fc.constantFrom('en', 'deu', 'e'),
    ),
    policy: fc.record(
      {
        reminders: fc.array(fc.constantFrom('1s', '2 days', '5 days', 3000, '1m', '48h'), { maxLength: 4 }),
        acceptancePoll: fc.constantFrom('1h', '30s', 2000),
        maxRenewals: fc.integer({ min: 0, max: 12 }),
      },
      { requiredKeys: [] },
    ),
  })
  .map(({ field, value, policy: p }) => ({
    projectId: 'PRJ-1',
    siteId: SITE_ID,
    customerEmails: ['anna@keller-bakery.ch'],
    role: 'Admin (Co-Owner)',
    policy: p,
    ...(field === 'none' ? {} : { [field]: value }),
  }));

const outcome = (r: ReturnType<typeof validateProjectCompleted>) =>
  r.ok
    ? { ok: true, project: JSON.parse(JSON.stringify(r.project)) as unknown, policy: r.policy }
    : { ok: false };

test.each([
  ['arbitrary payloads', payload],
  ['nearly valid payloads', nearlyValid],
] as const)('%s: accepted and refused exactly as the zod schema did, resolved alike', (_name, arbitrary) => {
  let accepted = 0;
  fc.assert(
    fc.property(arbitrary, (input) => {
      const mine = validateProjectCompleted(input);
      if (mine.ok) accepted++;
      expect(outcome(mine)).toEqual(outcome(zodValidate(input)));
    }),
    { numRuns: 3000, seed: 20261126 },
  );
  // Guards the generators: a comparison that never sees an accepted payload would prove little.
  if (arbitrary === nearlyValid) expect(accepted).toBeGreaterThan(300);
});
