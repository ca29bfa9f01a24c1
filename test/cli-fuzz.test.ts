// Property-based: generated malformed, unicode and injection-looking CLI input exits 2 with a message, before
// anything connects. Temporal points at a closed port, so a command that got past validation would exit 5 instead.
import fc from 'fast-check';
import { runCli } from '../src/cli/main';

const SITE = '5f0c8a2e-4b7d-4e0f-9a61-2b3c4d5e6f70';
let saved: string | undefined;

beforeAll(() => {
  saved = process.env.TEMPORAL_ADDRESS;
  process.env.TEMPORAL_ADDRESS = '127.0.0.1:1';
});
afterAll(() => {
  if (saved === undefined) delete process.env.TEMPORAL_ADDRESS;
  else process.env.TEMPORAL_ADDRESS = saved;
});

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(argv, { out: () => undefined, err: (s: string) => void (err += s) });
  return { code, err };
}

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.constantFrom("'; DROP TABLE x;--", '$(rm -rf /)', '<script>', '\u0000', '../../etc/passwd', ''),
  fc.string({ minLength: 300, maxLength: 1000 }),
);

/** Per flag: generated values that can never be valid, so every run must stop at validation. */
const invalid: Record<string, (v: string) => boolean> = {
  '--email': (v) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(v),
  '--site': (v) => !/^\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*$/i.test(v),
  // An empty list means no reminders, which is valid.
  '--reminders': (v) => /[^,\s]/.test(v) && !/\d/.test(v),
  '--max-renewals': (v) => !/^\s*\d+\s*$/.test(v),
};

test('a bad email, site, reminder or renewal count exits 2 with the problem, and never reaches Temporal', async () => {
  const cases = fc
    .tuple(fc.constantFrom(...Object.keys(invalid)), hostile)
    .filter(([flag, value]) => invalid[flag](value));
  await fc.assert(
    fc.asyncProperty(cases, async ([flag, value]) => {
      const args: Record<string, string> = {
        '--site': SITE,
        '--email': 'owner@customer.example',
        '--reminders': '2 days',
        '--max-renewals': '1',
        [flag]: value,
      };
      const argv = ['complete', '--project', 'PRJ-1', '--role', 'Admin (Co-Owner)'];
      for (const [name, v] of Object.entries(args)) argv.push(name, v);
      const { code, err } = await run(argv);
      expect({ code, hasMessage: err.trim().length > 0 }).toEqual({ code: 2, hasMessage: true });
    }),
    { numRuns: 400 },
  );
}, 60_000);
