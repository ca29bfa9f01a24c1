// Notifications without servers: audit entries → events, configuration, the Slack message, the signature.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { signedHeaders } from '../activities/notify';
import {
  NOTIFICATION_TYPES,
  endpointUrlProblem,
  mayNotify,
  notificationsFor,
  readNotifyConfig,
  slackMessage,
  webhookId,
  type HandoffFacts,
  type TrailEntry,
} from '../src/notify';

const CONSOLE = 'https://handoff.agency.example';
const OWNER = 'owner@customer.example';
const SECRET = `whsec_${Buffer.alloc(24, 1).toString('base64')}`;
const NEW_SECRET = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;

const facts = (over: Partial<HandoffFacts> = {}): HandoffFacts => ({
  handoffId: 'handoff-site-1',
  siteId: 'site-1',
  projectId: 'PRJ-1',
  role: 'Admin (Co-Owner)',
  state: 'pending',
  failure: null,
  invitees: [{ email: OWNER, status: 'pending' }],
  ...over,
});

let clock = 0;
const entry = (seq: number, event: string, actor = 'site-handoff', detail?: string): TrailEntry => ({
  seq,
  at: new Date(Date.UTC(2026, 10, 1) + ++clock * 1000).toISOString(),
  event,
  actor,
  ...(detail !== undefined ? { detail } : {}),
});

/** The trail a pending handoff's first write carries, as the workflow writes it. */
const opening = (): TrailEntry[] => [
  entry(0, 'projectCompleted', 'project-tool', `invite ${OWNER}`),
  entry(1, 'state: inviting'),
  entry(2, 'role resolved', 'wix', 'Admin (Co-Owner) = role-1'),
  // The machine moves first, then the workflow audits what Wix said.
  entry(3, 'state: pending'),
  entry(4, 'invite sent', 'wix', `${OWNER} (invite inv-1)`),
];

const types = (trail: TrailEntry[], from = 0, f = facts()) =>
  notificationsFor(f, trail, from, CONSOLE).map((n) => [n.seq, n.event.type]);

describe('audit entries → events', () => {
  it('a handoff starting and inviting: started once, invited with the invite id, in the envelope', () => {
    const trail = opening();
    const out = notificationsFor(facts(), trail, 0, CONSOLE);
    expect(out.map((n) => [n.seq, n.event.type])).toEqual([
      [0, 'handoff.started'],
      [4, 'handoff.invited'],
    ]);
    expect(out[1].event).toEqual({
      type: 'handoff.invited',
      timestamp: trail[4].at,
      data: {
        handoffId: 'handoff-site-1',
        siteId: 'site-1',
        projectId: 'PRJ-1',
        state: 'pending',
        actor: 'wix',
        email: OWNER,
        inviteId: 'inv-1',
        consoleUrl: `${CONSOLE}/console/handoffs/handoff-site-1`,
      },
    });
    expect(out[0].event.data).toMatchObject({ customerEmails: [OWNER], role: 'Admin (Co-Owner)' });
  });

  it('earlier entries only give context: nothing before fromSeq is emitted, started is not repeated', () => {
    const trail = [
      ...opening(),
      entry(5, 'projectCompleted', 'project-tool', 'invite partner@customer.example'),
      entry(6, 'state: inviting'),
      entry(7, 'invite sent', 'wix', 'partner@customer.example (invite inv-2)'),
    ];
    expect(types(trail, 5)).toEqual([[7, 'handoff.invited']]);
    // A restart starts anew.
    const restarted = [
      ...trail,
      entry(8, 'restarted', 'staff:ana', 'after …'),
      entry(9, 'projectCompleted', 'project-tool', `invite ${OWNER}`),
    ];
    expect(types(restarted, 8)).toEqual([[9, 'handoff.started']]);
  });

  it('accepted: detected through the contributors, or confirmed by staff', () => {
    const byWix = [
      ...opening(),
      entry(5, 'accepted', 'wix', `${OWNER} is now Wix contributor acc-9`),
      entry(6, 'state: accepted'),
    ];
    const [wix] = notificationsFor(facts({ state: 'accepted' }), byWix, 5, CONSOLE);
    expect(wix.event).toMatchObject({
      type: 'handoff.accepted',
      data: {
        email: OWNER,
        accountId: 'acc-9',
        detectedBy: 'contributors',
        confirmedBy: null,
        state: 'accepted',
      },
    });
    expect(wix.event.data.acceptedAt).toBe(byWix[5].at);
    const byStaff = [...opening(), entry(5, 'accepted', 'staff:ana', OWNER), entry(6, 'state: accepted')];
    // The acceptance entry came in an earlier write: read as context.
    expect(notificationsFor(facts(), byStaff, 6, CONSOLE)[0].event.data).toMatchObject({
      email: OWNER,
      detectedBy: 'staff',
      confirmedBy: 'staff:ana',
    });
  });

  it('revoked: by whom and why, from the revoke request before it; a cancellation says so', () => {
    const trail = [
      ...opening(),
      entry(5, 'revoke requested', 'staff:ana', 'contract cancelled'),
      entry(6, 'state: revoking'),
      entry(7, 'invite revoked', 'wix', OWNER),
      entry(8, 'state: revoked'),
    ];
    const [revoked] = notificationsFor(facts({ state: 'revoked' }), trail, 7, CONSOLE);
    expect(revoked.event).toMatchObject({
      type: 'handoff.revoked',
      data: { revokedBy: 'staff:ana', reason: 'contract cancelled', state: 'revoked' },
    });
    const cancelled = [
      ...opening(),
      entry(5, 'cancelled; revoking', 'temporal'),
      entry(6, 'state: revoking'),
      entry(7, 'state: revoked'),
    ];
    expect(notificationsFor(facts(), cancelled, 0, CONSOLE).at(-1)!.event.data).toMatchObject({
      revokedBy: 'temporal',
      reason: 'workflow cancelled',
    });
  });

  it("failed: the status's failure and what staff can do; the Wix refusal also needs attention", () => {
    const trail = [
      entry(0, 'projectCompleted', 'project-tool', `invite ${OWNER}`),
      entry(1, 'state: inviting'),
      entry(2, 'state: failed'),
      entry(3, 'invite refused by Wix', 'wix', 'HTTP 403: no permission'),
    ];
    const out = notificationsFor(
      facts({ state: 'failed', failure: 'Wix refused: HTTP 403' }),
      trail,
      0,
      CONSOLE,
    );
    expect(out.map((n) => n.event.type)).toEqual([
      'handoff.started',
      'handoff.failed',
      'handoff.needs_attention',
    ]);
    expect(out[1].event.data).toMatchObject({
      failure: 'Wix refused: HTTP 403',
      action: expect.stringContaining('retry'),
    });
    expect(out[2].event.data).toMatchObject({
      reason: 'wix_refused',
      request: 'invite',
      detail: 'HTTP 403: no permission',
    });
    // Rebuilt later, once the handoff moved on: the failure comes from the cause audited with it.
    const later = notificationsFor(facts({ state: 'pending', failure: null }), trail, 0, CONSOLE);
    expect(later[1].event.data.failure).toBe('HTTP 403: no permission');
  });

  it('needs attention, reminders, expiry and every mid-flight change', () => {
    const trail = [
      ...opening(),
      entry(5, 'reminder sent', 'wix', OWNER),
      entry(6, 'reminder sent', 'wix', `${OWNER} (outcome unknown, not repeated: timeout)`),
      entry(7, 'acceptance ambiguous', 'wix', 'new contributor(s) a, b …'),
      entry(8, 'invite failed', 'wix', 'bad@customer.example, other@customer.example'),
      entry(9, 'invitee replaced', 'staff:ana', `${OWNER} → new@customer.example: typo`),
      entry(10, 'invitee added', 'staff:ana', 'added@customer.example'),
      entry(11, 'invitee removed', 'staff:ana', 'added@customer.example'),
      entry(12, 'reminders paused', 'staff:ana', 'customer on holiday'),
      entry(13, 'reminders resumed', 'staff:bo'),
      entry(14, 'reminder refused by Wix', 'wix', `${OWNER}: HTTP 404`),
      entry(15, 'acceptance check failed', 'wix', 'timeout'),
      entry(16, 'state: expired'),
      entry(17, 'ALERT contributor after revoke', 'wix', 'Wix account acc-1 holds role …'),
    ];
    const out = notificationsFor(
      facts({ state: 'expired', invitees: [{ email: OWNER, status: 'expired' }] }),
      trail,
      5,
      CONSOLE,
    );
    expect(out.map((n) => [n.seq, n.event.type])).toEqual([
      [5, 'handoff.reminded'],
      [6, 'handoff.reminded'],
      [7, 'handoff.needs_attention'],
      [8, 'handoff.needs_attention'],
      [9, 'handoff.invitee_replaced'],
      [10, 'handoff.invitee_added'],
      [11, 'handoff.invitee_removed'],
      [12, 'handoff.paused'],
      [13, 'handoff.resumed'],
      [14, 'handoff.needs_attention'],
      [16, 'handoff.expired'],
      [17, 'handoff.needs_attention'],
    ]);
    const data = (seq: number) => out.find((n) => n.seq === seq)!.event.data;
    expect(data(6)).toMatchObject({ email: OWNER, note: '(outcome unknown, not repeated: timeout)' });
    expect(data(8)).toMatchObject({
      reason: 'address_refused',
      emails: ['bad@customer.example', 'other@customer.example'],
    });
    expect(data(9)).toMatchObject({ email: OWNER, newEmail: 'new@customer.example', reason: 'typo' });
    expect(data(12)).toMatchObject({ actor: 'staff:ana', reason: 'customer on holiday' });
    expect(data(16)).toMatchObject({ expiredEmails: [OWNER], state: 'expired' });
    expect(data(17)).toMatchObject({ reason: 'contributor_after_revoke' });
    // Every type the mapping emits is a documented one, and nothing else passes the cheap pre-check.
    for (const n of out) expect(NOTIFICATION_TYPES).toContain(n.event.type);
    expect(trail.filter((e) => !mayNotify(e.event)).map((e) => e.event)).toEqual([
      'role resolved',
      'acceptance check failed',
    ]);
  });

  it('repeats and reorders in a write change nothing: one notification per seq', () => {
    const trail = opening();
    expect(types([...trail, ...trail].reverse())).toEqual(types(trail));
  });

  it('webhook-ids are stable per (endpoint, handoff, seq) and differ otherwise', () => {
    expect(webhookId('default', 'handoff-1', 3)).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(webhookId('default', 'handoff-1', 3)).toBe(webhookId('default', 'handoff-1', 3));
    const ids = new Set([
      webhookId('default', 'handoff-1', 3),
      webhookId('slack', 'handoff-1', 3),
      webhookId('default', 'handoff-1', 4),
      webhookId('default', 'handoff-2', 3),
    ]);
    expect(ids.size).toBe(4);
  });
});

describe('configuration', () => {
  const read = (env: Record<string, string>) => {
    const problems: string[] = [];
    const config = readNotifyConfig(env, problems, { consoleUrl: 'http://127.0.0.1:8080' });
    return { config, problems };
  };

  it('nothing set: no notifications', () => {
    expect(read({})).toEqual({ config: undefined, problems: [] });
  });

  it('one webhook and Slack from the environment; several secrets during a rotation', () => {
    const { config, problems } = read({
      HANDOFF_NOTIFY_WEBHOOK_URL: 'https://crm.agency.example/hooks/handoff',
      HANDOFF_NOTIFY_WEBHOOK_SECRET: `${SECRET} ${NEW_SECRET}`,
      HANDOFF_NOTIFY_SLACK_URL: 'https://hooks.slack.com/services/T0/B0/x',
    });
    expect(problems).toEqual([]);
    expect(config).toEqual({
      consoleUrl: 'http://127.0.0.1:8080',
      endpoints: [
        {
          kind: 'webhook',
          name: 'default',
          url: 'https://crm.agency.example/hooks/handoff',
          secrets: [SECRET, NEW_SECRET],
        },
        { kind: 'slack', name: 'slack', url: 'https://hooks.slack.com/services/T0/B0/x' },
      ],
    });
  });

  it('a config file: endpoints with secrets named by variable and event filters', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'notify-'));
    const file = path.join(dir, 'notify.json');
    writeFileSync(
      file,
      JSON.stringify({
        endpoints: [
          {
            name: 'crm',
            url: 'https://crm.example/hook',
            secretEnv: 'CRM_SECRET',
            events: ['handoff.accepted'],
          },
          { name: 'ops', kind: 'slack', urlEnv: 'OPS_SLACK', events: ['*'] },
        ],
      }),
    );
    const { config, problems } = read({
      HANDOFF_NOTIFY_CONFIG: file,
      CRM_SECRET: SECRET,
      OPS_SLACK: 'https://hooks.slack.com/services/T/B/y',
      HANDOFF_NOTIFY_CONSOLE_URL: 'https://handoff.agency.example/',
    });
    expect(problems).toEqual([]);
    expect(config?.consoleUrl).toBe('https://handoff.agency.example');
    expect(config?.endpoints).toEqual([
      {
        kind: 'webhook',
        name: 'crm',
        url: 'https://crm.example/hook',
        secrets: [SECRET],
        events: ['handoff.accepted'],
      },
      { kind: 'slack', name: 'ops', url: 'https://hooks.slack.com/services/T/B/y' },
    ]);
  });

  it('clear errors naming the variable, never echoing a secret', () => {
    const { problems } = read({
      HANDOFF_NOTIFY_WEBHOOK_URL: 'http://crm.agency.example/hook',
      HANDOFF_NOTIFY_WEBHOOK_SECRET: 'not-a-whsec-secret whsec_c2hvcnQ=',
      HANDOFF_NOTIFY_SLACK_URL: 'ftp://x',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^HANDOFF_NOTIFY_WEBHOOK_URL must be an https URL/),
      'HANDOFF_NOTIFY_WEBHOOK_SECRET: secret 1 must start with whsec_',
      expect.stringMatching(/^HANDOFF_NOTIFY_WEBHOOK_SECRET: secret 2 must be whsec_ followed by base64/),
      expect.stringMatching(/^HANDOFF_NOTIFY_SLACK_URL must be an https URL/),
    ]);
    expect(problems.join('\n')).not.toContain('not-a-whsec-secret');
    expect(read({ HANDOFF_NOTIFY_WEBHOOK_URL: 'https://x.example' }).problems).toEqual([
      expect.stringMatching(/^HANDOFF_NOTIFY_WEBHOOK_SECRET is not set/),
    ]);
  });

  it('https only, except loopback', () => {
    expect(endpointUrlProblem('https://hooks.example/x', 'X')).toBeUndefined();
    expect(endpointUrlProblem('http://127.0.0.1:9000/x', 'X')).toBeUndefined();
    expect(endpointUrlProblem('http://localhost:9000/x', 'X')).toBeUndefined();
    expect(endpointUrlProblem('http://[::1]:9000/x', 'X')).toBeUndefined();
    expect(endpointUrlProblem('http://127.evil.example/x', 'X')).toMatch(/must be an https URL/);
    expect(endpointUrlProblem('http://10.0.0.5/x', 'X')).toMatch(/must be an https URL/);
    expect(endpointUrlProblem('https://user:pw@hooks.example/x', 'X')).toMatch(/user name or password/);
    expect(endpointUrlProblem('nonsense', 'X')).toMatch(/not a URL/);
  });
});

describe('signatures and Slack', () => {
  it('one signature per secret: the old and the new secret both verify with standardwebhooks', () => {
    const body = JSON.stringify({
      type: 'handoff.accepted',
      timestamp: '2026-11-01T00:00:00.000Z',
      data: {},
    });
    const headers = signedHeaders([SECRET, NEW_SECRET], 'msg_1', new Date(), body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(NEW_SECRET).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() =>
      new Webhook(`whsec_${Buffer.alloc(24, 9).toString('base64')}`).verify(body, headers),
    ).toThrow();
    expect(() => new Webhook(SECRET).verify(`${body} `, headers)).toThrow();
  });

  it('a readable Slack message with a console link; handoff values cannot inject markup', () => {
    const [accepted] = notificationsFor(
      facts({ projectId: 'PRJ <!channel> & co' }),
      [...opening(), entry(5, 'accepted', 'staff:ana', OWNER), entry(6, 'state: accepted')],
      6,
      CONSOLE,
    );
    const message = slackMessage(accepted.event);
    expect(message).toEqual({
      text: expect.stringContaining('Accepted by owner@customer.example (confirmed by staff:ana)'),
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: expect.stringContaining('PRJ &lt;!channel&gt; &amp; co') },
        },
        {
          type: 'context',
          elements: [{ type: 'mrkdwn', text: expect.stringContaining('handoff.accepted · state accepted') }],
        },
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              text: { type: 'plain_text', text: 'Open in the console' },
              url: `${CONSOLE}/console/handoffs/handoff-site-1`,
            },
          ],
        },
      ],
    });
    expect(JSON.stringify(message)).not.toContain('<!channel>');
    expect(message.text).toContain(`<${CONSOLE}/console/handoffs/handoff-site-1|Open in the console>`);
  });
});
