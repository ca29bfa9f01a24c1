// `npm start` as a new user runs it: embedded dev server, sandbox Wix, workers and API; then SIGTERM.
import { Client, Connection } from '@temporalio/client';
import { startService } from './support/service';

const SITE = '0f8fad5b-d9cb-469f-a165-70867728950e';
// Ports away from the defaults, so a developer's own `npm start` is not disturbed.
const PORTS = { api: 18080, temporal: 17233, ui: 18233, wix: 18787 };
const UI_ORIGIN = `http://127.0.0.1:${PORTS.ui}`;
// A staff token configured, as the README asks for: the embedded UI must still decode without one.
const STAFF = { authorization: 'Bearer staff-token-1' };

type JsonPayload = { metadata: Record<string, string>; data: string };

/** The raw (encrypted) payload of the handoff's first signal, straight from Temporal, without the codec. */
async function firstSignalPayload(workflowId: string): Promise<JsonPayload> {
  const connection = await Connection.connect({ address: `127.0.0.1:${PORTS.temporal}` });
  try {
    const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
    const signal = history.events?.find((e) => e.workflowExecutionSignaledEventAttributes);
    const payload = signal!.workflowExecutionSignaledEventAttributes!.input!.payloads![0];
    return {
      metadata: Object.fromEntries(
        Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
      ),
      data: Buffer.from(payload.data ?? []).toString('base64'),
    };
  } finally {
    await connection.close();
  }
}

test('npm start serves a handoff on embedded defaults and stops cleanly on SIGTERM', async () => {
  const service = await startService(PORTS, { HANDOFF_API_TOKEN: 'staff-token-1' });
  const output = service.output;
  try {
    expect(output()).toMatch(/SANDBOX/);
    expect(output()).toContain('closed workflows kept 30 days');
    const retention = await Connection.connect({ address: `127.0.0.1:${PORTS.temporal}` });
    const { config } = await retention.workflowService.describeNamespace({ namespace: 'default' });
    expect(Number(config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 86_400);
    await retention.close();
    expect(output()).toContain(`http://127.0.0.1:${PORTS.ui}`);

    const { api } = service;
    const started = await fetch(`${api}/v1/events/project-completed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        projectId: 'PRJ-7',
        siteId: SITE,
        customerEmails: ['owner@customer.example'],
        role: 'Website Manager',
      }),
    });
    expect(started.status).toBe(202);
    let state = '';
    const deadline = Date.now() + 60_000;
    while (state !== 'pending' && Date.now() < deadline) {
      const status = await fetch(`${api}/v1/handoffs/${SITE}`, { headers: STAFF });
      state = status.ok ? ((await status.json()) as { state: string }).state : '';
    }
    expect(state).toBe('pending');
    const outbox = (await (await fetch(`http://127.0.0.1:${PORTS.wix}/_simulator/outbox`)).json()) as {
      outbox: { to: string }[];
    };
    expect(outbox.outbox.map((m) => m.to)).toEqual(['owner@customer.example']);

    // Nothing alarming before the banner: no SDK warnings, no stack traces.
    const startup = output().slice(0, output().indexOf('site-handoff is running'));
    expect(startup).not.toMatch(/WARN|No activities registered|No workflows registered|^\s+at /m);

    // The embedded UI was given the codec endpoint, and the codec decodes a real payload for that UI only.
    const settings = (await (await fetch(`${UI_ORIGIN}/api/v1/settings`)).json()) as {
      Codec: { Endpoint: string };
    };
    expect(settings.Codec.Endpoint).toBe(`${api}/codec`);
    const raw = await firstSignalPayload(`handoff-${SITE}`);
    expect(Buffer.from(raw.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const decode = (headers: Record<string, string>) =>
      fetch(`${api}/codec/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
        body: JSON.stringify({ payloads: [raw] }),
      });
    const preflight = await fetch(`${api}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const decoded = await decode({ origin: UI_ORIGIN });
    expect(decoded.status).toBe(200);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const [plain] = ((await decoded.json()) as { payloads: JsonPayload[] }).payloads;
    expect(JSON.parse(Buffer.from(plain.data, 'base64').toString())).toMatchObject({
      siteId: SITE,
      customerEmails: ['owner@customer.example'],
    });
    expect((await decode({ origin: `http://localhost:${PORTS.ui}` })).status).toBe(200);
    expect([401, 403]).toContain((await decode({ origin: 'https://evil.example' })).status);
    expect([401, 403]).toContain((await decode({})).status);
    expect((await decode({ authorization: 'Bearer not-the-token' })).status).toBe(401);
    // The Temporal CLI's case: a staff token, no Origin.
    expect((await decode(STAFF)).status).toBe(200);

    // Staff remove a contributor: the API asks the workers, which call the sandbox Wix.
    const { invitees } = (await (await fetch(`${api}/v1/handoffs/${SITE}`, { headers: STAFF })).json()) as {
      invitees: { inviteId: string }[];
    };
    const sim = `http://127.0.0.1:${PORTS.wix}/_simulator`;
    const accepted = await fetch(`${sim}/invites/${invitees[0].inviteId}/accept`, { method: 'POST' });
    const { accountId } = (await accepted.json()) as { accountId: string };
    // Wix's push hint, sent by the simulator on accept: accepted in seconds, not at the first check 10 min later.
    expect(output()).toContain(
      `Wix hints     the simulator POSTs Contributor Created to ${api}/v1/wix/webhooks`,
    );
    const hinted = Date.now();
    let after = { state: '', audit: [] as { event: string; actor: string }[] };
    while (after.state !== 'accepted' && Date.now() - hinted < 15_000) {
      await new Promise((r) => setTimeout(r, 250));
      after = (await (await fetch(`${api}/v1/handoffs/${SITE}`, { headers: STAFF })).json()) as typeof after;
    }
    expect(after.state).toBe('accepted');
    expect(after.audit.some((a) => a.actor === 'wix-webhook')).toBe(true);
    const contributors = async () =>
      (
        (await (await fetch(`${sim}/contributors/${SITE}`)).json()) as {
          contributors: { accountId: string }[];
        }
      ).contributors.map((c) => c.accountId);
    expect(await contributors()).toContain(accountId);
    const removed = await fetch(`${api}/v1/sites/${SITE}/contributors/${accountId}/remove`, {
      method: 'POST',
      headers: STAFF,
    });
    expect(removed.status).toBe(200);
    expect(await contributors()).not.toContain(accountId);
  } finally {
    await service.stop();
  }
  expect(output()).toContain('site-handoff stopped');
}, 150_000);
