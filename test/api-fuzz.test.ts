// Property-based: thousands of malformed, oversized, wrongly typed, unicode and injection-looking events.
// Each gets a 4xx with a message, the server keeps serving, and no handoff is ever started.
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { buildApi } from '../src/api/server';
import { testLedger } from './support/ledger';
import { startDevServerEnv } from './support/temporal';

const SITE = '5f0c8a2e-4b7d-4e0f-9a61-2b3c4d5e6f70';
const VALID = {
  projectId: 'PRJ-1',
  siteId: SITE,
  customerEmails: ['owner@customer.example'],
  role: 'Admin (Co-Owner)',
};
const FIELDS = ['projectId', 'siteId', 'customerEmails', 'role', 'language', 'policy'] as const;

let env: TestWorkflowEnvironment;
let api: FastifyInstance;
let base: string;
/** Some hostile values are valid for a field (any string is a projectId): those start the one handoff for SITE. */
let validSeen = false;

beforeAll(async () => {
  env = await startDevServerEnv(false);
  api = buildApi({
    client: env.client,
    ledger: await testLedger(),
    namespace: 'default',
    taskQueue: 'fuzz',
    webhookSecrets: [],
    apiTokens: [],
  });
  await api.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await api?.close();
  await env?.teardown();
});

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom(
    "'; DROP TABLE handoffs;--",
    '<script>alert(1)</script>',
    '${jndi:ldap://x}',
    '../../etc/passwd',
    '\u0000',
  ),
  fc.string({ minLength: 300, maxLength: 2000 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 60 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 5 }),
);

async function post(
  payload: string,
): Promise<{ status: number; body: { error?: string; problems?: string[] } }> {
  const response = await fetch(`${base}/v1/events/project-completed`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload,
  });
  return {
    status: response.status,
    body: (await response.json()) as { error?: string; problems?: string[] },
  };
}

test('any JSON value that is not a valid event gets a 400 with a message', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
      const { status, body } = await post(JSON.stringify(value));
      expect(status).toBe(400);
      expect(body.error).toEqual(expect.any(String));
    }),
    { numRuns: 1500 },
  );
});

test('a valid event with one field replaced by something hostile is refused, naming that field', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...FIELDS), hostile, async (field, value) => {
      const { status, body } = await post(JSON.stringify({ ...VALID, [field]: value }));
      if (status === 202) validSeen = true;
      fc.pre(status !== 202);
      expect(status).toBe(400);
      expect(body.problems?.join('\n')).toContain(field);
    }),
    { numRuns: 1500 },
  );
}, 120_000);

test('bytes that are not JSON, and bodies over the limit, get a 4xx', async () => {
  await fc.assert(
    fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
      fc.pre(!isJson(text));
      expect((await post(text)).status).toBe(400);
    }),
    { numRuns: 500 },
  );
  expect((await post(JSON.stringify({ ...VALID, pad: 'x'.repeat(100_000) }))).status).toBe(413);
});

test('after all that, the server still serves and no handoff was started', async () => {
  expect((await fetch(`${base}/healthz`)).status).toBe(200);
  const { count } = await env.client.workflow.count(`WorkflowType = 'customerHandoff'`);
  expect(count).toBe(validSeen ? 1 : 0);
});

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
