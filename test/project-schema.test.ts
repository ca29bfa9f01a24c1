// Unit tests for the project-completed payload schema and policy resolution.
import { DEFAULT_POLICY } from '../workflows/invite-machine';
import { MAX_EMAILS_PER_HANDOFF, validateProjectCompleted } from '../workflows/project-schema';
import type { ResolvedPolicy } from '../workflows/handoff-types';

const DAY = 86_400_000;
const SITE_ID = '9d2c7e10-1b44-4f0a-9a3c-5e6f7a8b9c0d';
const ANNA = 'anna.keller@keller-bakery.ch';
const BEN = 'ben.okafor@keller-bakery.ch';

const payload = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  projectId: 'PRJ-2025-0142',
  siteId: SITE_ID,
  customerEmails: [ANNA, BEN],
  role: 'Admin (Co-Owner)',
  language: 'de',
  ...overrides,
});

/** The problems for an invalid payload; fails the test if the payload was accepted. */
function problemsOf(input: unknown): string[] {
  const result = validateProjectCompleted(input);
  if (result.ok) throw new Error(`expected the payload to be refused, got ${JSON.stringify(result)}`);
  return result.problems;
}

const emails = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => `customer${i + 1}@keller-bakery.ch`);

describe('validateProjectCompleted', () => {
  describe('valid payloads', () => {
    it('accepts a payload, lower-casing and de-duplicating the addresses, with the default policy', () => {
      const result = validateProjectCompleted(
        payload({
          customerEmails: ['Anna.Keller@Keller-Bakery.CH', BEN, ANNA, 'BEN.OKAFOR@keller-bakery.ch'],
        }),
      );
      expect(result).toEqual({
        ok: true,
        project: {
          projectId: 'PRJ-2025-0142',
          siteId: SITE_ID,
          customerEmails: [ANNA, BEN],
          role: 'Admin (Co-Owner)',
          language: 'de',
        },
        policy: DEFAULT_POLICY,
      });
      expect(result.ok && 'policy' in result.project).toBe(false);
    });

    it('resolves a policy given as durations into milliseconds', () => {
      const policy = { reminders: ['3s', '1 minute'], acceptancePoll: '30s', maxRenewals: 2 };
      const result = validateProjectCompleted(payload({ policy }));
      expect(result).toMatchObject({
        ok: true,
        project: { policy },
        policy: { reminderOffsetsMs: [3000, 60_000], acceptancePollMs: 30_000, maxRenewals: 2 },
      });
    });

    it.each<{ given: Record<string, unknown>; resolved: ResolvedPolicy }>([
      {
        given: { reminders: ['2 days', '5 days', '10 days', '20 days'] },
        resolved: DEFAULT_POLICY,
      },
      {
        given: { reminders: [3000, '1m'] },
        resolved: { ...DEFAULT_POLICY, reminderOffsetsMs: [3000, 60_000] },
      },
      { given: { maxRenewals: 0 }, resolved: { ...DEFAULT_POLICY, maxRenewals: 0 } },
      { given: { maxRenewals: 12 }, resolved: { ...DEFAULT_POLICY, maxRenewals: 12 } },
      { given: { acceptancePoll: '1h' }, resolved: { ...DEFAULT_POLICY, acceptancePollMs: 3_600_000 } },
      { given: { reminders: [] }, resolved: { ...DEFAULT_POLICY, reminderOffsetsMs: [] } },
      { given: {}, resolved: DEFAULT_POLICY },
      {
        given: { reminders: ['1s', '365 days'] },
        resolved: { ...DEFAULT_POLICY, reminderOffsetsMs: [1000, 365 * DAY] },
      },
    ])('resolves policy $given, taking defaults for what is absent', ({ given, resolved }) => {
      const result = validateProjectCompleted(payload({ policy: given }));
      expect(result.ok && result.policy).toEqual(resolved);
    });

    it('uses the defaults it is given when the payload has no policy', () => {
      const running: ResolvedPolicy = {
        reminderOffsetsMs: [3000, 6000],
        acceptancePollMs: 2000,
        maxRenewals: 3,
      };
      expect(validateProjectCompleted(payload(), running)).toMatchObject({ ok: true, policy: running });
      expect(validateProjectCompleted(payload({ policy: { maxRenewals: 0 } }), running)).toMatchObject({
        ok: true,
        policy: { ...running, maxRenewals: 0 },
      });
    });

    it('trims the project id, the site id and the role; language is optional', () => {
      const result = validateProjectCompleted(
        payload({
          projectId: ' PRJ-2025-0142 ',
          siteId: ` ${SITE_ID}\n`,
          role: ' Website Manager ',
          language: undefined,
        }),
      );
      expect(result).toMatchObject({
        ok: true,
        project: { projectId: 'PRJ-2025-0142', siteId: SITE_ID, role: 'Website Manager' },
      });
      expect(result.ok && result.project.language).toBeUndefined();
    });

    it(`accepts exactly ${MAX_EMAILS_PER_HANDOFF} addresses`, () => {
      expect(MAX_EMAILS_PER_HANDOFF).toBe(50);
      const result = validateProjectCompleted(payload({ customerEmails: emails(50) }));
      expect(result.ok && result.project.customerEmails).toHaveLength(50);
    });
  });

  describe('invalid payloads', () => {
    it.each<{ name: string; input: unknown; problem: string | RegExp }>([
      {
        name: 'a bad second address',
        input: payload({ customerEmails: [ANNA, 'ben.okafor(at)keller-bakery.ch'] }),
        problem: 'customerEmails[1]: must be a valid email address',
      },
      {
        name: 'a site id that is no GUID',
        input: payload({ siteId: 'keller-bakery' }),
        problem: /^siteId must be the Wix site id, a GUID/,
      },
      { name: 'no site id', input: payload({ siteId: undefined }), problem: 'siteId must be a string' },
      {
        name: 'a site id that is a number',
        input: payload({ siteId: 42 }),
        problem: 'siteId must be a string',
      },
      { name: 'an empty role', input: payload({ role: '   ' }), problem: 'role must not be empty' },
      { name: 'no role', input: payload({ role: undefined }), problem: 'role must be a string' },
      {
        name: 'a role too long',
        input: payload({ role: 'R'.repeat(101) }),
        problem: 'role must be at most 100 characters',
      },
      {
        name: 'a control character in the role',
        input: payload({ role: 'Admin\u0007(Co-Owner)' }),
        problem: 'role must not contain control characters',
      },
      {
        name: 'a control character in the project id',
        input: payload({ projectId: 'PRJ-2025\u0000-0142' }),
        problem: 'projectId must not contain control characters',
      },
      {
        name: 'a DEL character in the project id',
        input: payload({ projectId: 'PRJ-2025\u007f-0142' }),
        problem: 'projectId must not contain control characters',
      },
      {
        name: 'a project id that is a number',
        input: payload({ projectId: 142 }),
        problem: 'projectId must be a string',
      },
      {
        name: 'an unknown field',
        input: payload({ customerName: 'Anna Keller' }),
        problem: 'unknown field(s) "customerName"',
      },
      {
        name: 'an unknown policy field',
        input: payload({ policy: { reminder: ['2 days'] } }),
        problem: 'policy: unknown field(s) "reminder"',
      },
      {
        name: 'addresses given as one string',
        input: payload({ customerEmails: ANNA }),
        problem: 'customerEmails must be a list of email addresses',
      },
      {
        name: 'an address that is a number',
        input: payload({ customerEmails: [ANNA, 7] }),
        problem: /^customerEmails\[1\]: /,
      },
      {
        name: 'an empty address list',
        input: payload({ customerEmails: [] }),
        problem: 'customerEmails must name at least one customer',
      },
      {
        name: 'more than 50 addresses',
        input: payload({ customerEmails: emails(51) }),
        problem: 'customerEmails may hold at most 50 addresses',
      },
      {
        name: 'reminders in decreasing order',
        input: payload({ policy: { reminders: ['5 days', '2 days'] } }),
        problem: 'policy.reminders: reminders must be in increasing order, without repeats',
      },
      {
        name: 'the same reminder twice, in different units',
        input: payload({ policy: { reminders: ['2 days', '48h'] } }),
        problem: 'policy.reminders: reminders must be in increasing order, without repeats',
      },
      {
        name: "a reminder 'soon'",
        input: payload({ policy: { reminders: ['2 days', 'soon'] } }),
        problem: "policy.reminders[1]: each reminder must be a duration like '2 days', '6h' or '30s'",
      },
      {
        name: 'a reminder under a second',
        input: payload({ policy: { reminders: ['500ms'] } }),
        problem: 'policy.reminders[0]: each reminder must be between 1s and 365 days',
      },
      {
        name: 'a negative reminder',
        input: payload({ policy: { reminders: ['-5s'] } }),
        problem: 'policy.reminders[0]: each reminder must be between 1s and 365 days',
      },
      {
        name: 'a reminder over a year',
        input: payload({ policy: { reminders: ['400 days'] } }),
        problem: 'policy.reminders[0]: each reminder must be between 1s and 365 days',
      },
      {
        name: 'reminders that are no list',
        input: payload({ policy: { reminders: '2 days' } }),
        problem: /^policy\.reminders: /,
      },
      {
        name: 'more than 20 reminders',
        input: payload({ policy: { reminders: Array.from({ length: 21 }, (_, i) => (i + 1) * 1000) } }),
        problem: 'policy.reminders: at most 20 reminders',
      },
      {
        name: "an acceptance poll 'often'",
        input: payload({ policy: { acceptancePoll: 'often' } }),
        problem: /^policy\.acceptancePoll: acceptancePoll must be a duration/,
      },
      {
        name: 'maxRenewals -1',
        input: payload({ policy: { maxRenewals: -1 } }),
        problem: 'policy.maxRenewals: maxRenewals must be 0 or more',
      },
      {
        name: 'maxRenewals 1.5',
        input: payload({ policy: { maxRenewals: 1.5 } }),
        problem: 'policy.maxRenewals: maxRenewals must be a whole number',
      },
      {
        name: 'maxRenewals 13',
        input: payload({ policy: { maxRenewals: 13 } }),
        problem: 'policy.maxRenewals: maxRenewals must be at most 12',
      },
      {
        name: "maxRenewals '1'",
        input: payload({ policy: { maxRenewals: '1' } }),
        problem: /^policy\.maxRenewals: /,
      },
      {
        name: "language 'english'",
        input: payload({ language: 'english' }),
        problem: "language must be a two-letter ISO 639-1 code such as 'en'",
      },
      {
        name: "language 'EN'",
        input: payload({ language: 'EN' }),
        problem: /^language must be a two-letter/,
      },
      { name: 'language as a number', input: payload({ language: 49 }), problem: /^language: / },
      { name: 'a policy that is no object', input: payload({ policy: 'default' }), problem: /^policy: / },
    ])('refuses $name, naming the field', ({ input, problem }) => {
      const problems = problemsOf(input);
      expect(problems.length).toBeGreaterThan(0);
      if (typeof problem === 'string') expect(problems).toContain(problem);
      else expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
    });

    it.each([null, undefined, 'PRJ-2025-0142', 42, [payload()]])(
      'refuses %p, which is no object',
      (input) => {
        expect(problemsOf(input).length).toBeGreaterThan(0);
      },
    );

    it('names every schema problem at once', () => {
      const problems = problemsOf(
        payload({ siteId: 'keller-bakery', customerEmails: ['not-an-email'], role: '', extra: true }),
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^siteId must be the Wix site id/),
          'customerEmails[0]: must be a valid email address',
          'role must not be empty',
          'unknown field(s) "extra"',
        ]),
      );
      expect(problems).toHaveLength(4);
    });

    it('names the reminder order problem together with the other problems', () => {
      const problems = problemsOf(
        payload({ customerEmails: [ANNA, 'not-an-email'], policy: { reminders: ['5 days', '2 days'] } }),
      );
      expect(problems).toEqual(
        expect.arrayContaining([
          'customerEmails[1]: must be a valid email address',
          'policy.reminders: reminders must be in increasing order, without repeats',
        ]),
      );
    });
  });
});
