// Where notifications go: Standard Webhooks endpoints and Slack, from the environment and an optional JSON file.
import { readFileSync } from 'node:fs';
import { NOTIFICATION_TYPES, type NotificationType } from './events';

export interface EndpointBase {
  /** Names the endpoint in workflow inputs, webhook-ids and the delivery log; its URL and secret stay here. */
  name: string;
  url: string;
  /** The event types it receives; undefined = every type. */
  events?: readonly NotificationType[];
}

export interface WebhookEndpoint extends EndpointBase {
  kind: 'webhook';
  /** `whsec_…` secrets; every one signs, so receivers holding the old or the new one verify during a rotation. */
  secrets: readonly string[];
}

export interface SlackEndpoint extends EndpointBase {
  kind: 'slack';
}

export type NotifyEndpoint = WebhookEndpoint | SlackEndpoint;

export interface NotifyConfig {
  endpoints: readonly NotifyEndpoint[];
  /** The console's origin, for the link in every event. */
  consoleUrl: string;
}

export const DEFAULT_ENDPOINT = 'default';
export const SLACK_ENDPOINT = 'slack';

const NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** An https URL, or http on loopback (local receivers); otherwise the problem, naming where it came from. */
export function endpointUrlProblem(raw: string, where: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${where} must be an https URL, got something that is not a URL`;
  }
  if (url.username || url.password) return `${where} must not carry a user name or password`;
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (LOOPBACK.has(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname)))
    return undefined;
  return `${where} must be an https URL (http only on loopback such as http://127.0.0.1:9000), got ${url.protocol}//${url.host}`;
}

/** Standard Webhooks secrets: `whsec_` and base64 of at least 24 bytes; several separated by spaces or commas. */
export function parseSecrets(raw: string, where: string, problems: string[]): string[] {
  const secrets = raw
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (!secrets.length) problems.push(`${where} is empty: set a whsec_… secret`);
  for (const [n, secret] of secrets.entries()) {
    const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : undefined;
    // The secret itself is never echoed: only which one of the list is wrong.
    if (body === undefined) problems.push(`${where}: secret ${n + 1} must start with whsec_`);
    else if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || Buffer.from(body, 'base64').length < 24)
      problems.push(
        `${where}: secret ${n + 1} must be whsec_ followed by base64 of at least 24 random bytes`,
      );
  }
  return secrets;
}

function parseEvents(value: unknown, where: string, problems: string[]): NotificationType[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    problems.push(`${where} must be a list of event types such as ["handoff.accepted"]`);
    return undefined;
  }
  if (value.includes('*')) return undefined;
  const unknown = value.filter((v) => !(NOTIFICATION_TYPES as readonly string[]).includes(v));
  if (unknown.length)
    problems.push(
      `${where}: unknown event type(s) ${unknown.join(', ')}; known: ${NOTIFICATION_TYPES.join(', ')}`,
    );
  return value.filter((v): v is NotificationType => (NOTIFICATION_TYPES as readonly string[]).includes(v));
}

interface FileEndpoint {
  name?: unknown;
  kind?: unknown;
  url?: unknown;
  urlEnv?: unknown;
  secretEnv?: unknown;
  events?: unknown;
}

/** Endpoints from HANDOFF_NOTIFY_CONFIG: URLs may be given or named by variable; secrets only by variable. */
function readFile(file: string, env: NodeJS.ProcessEnv, problems: string[]): NotifyEndpoint[] {
  const where = `HANDOFF_NOTIFY_CONFIG (${file})`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    problems.push(`${where} cannot be read as JSON: ${(err as Error).message}`);
    return [];
  }
  const list = (parsed as { endpoints?: unknown } | null)?.endpoints;
  if (!Array.isArray(list)) {
    problems.push(`${where} must hold {"endpoints": [{"name", "url" or "urlEnv", "secretEnv", "events"?}]}`);
    return [];
  }
  const endpoints: NotifyEndpoint[] = [];
  list.forEach((item: FileEndpoint, n) => {
    const at = `${where} endpoints[${n}]`;
    const name = typeof item?.name === 'string' ? item.name : '';
    if (!NAME.test(name)) {
      problems.push(
        `${at}.name must be lower-case letters, digits, - or _ (1 to 40), got ${JSON.stringify(item?.name)}`,
      );
      return;
    }
    const kind = item.kind ?? 'webhook';
    if (kind !== 'webhook' && kind !== 'slack') {
      problems.push(`${at}.kind must be "webhook" or "slack"`);
      return;
    }
    let url = typeof item.url === 'string' ? item.url.trim() : '';
    if (typeof item.urlEnv === 'string') url = env[item.urlEnv]?.trim() ?? '';
    const urlWhere = typeof item.urlEnv === 'string' ? `${item.urlEnv} (endpoint ${name})` : `${at}.url`;
    if (!url) {
      problems.push(`${urlWhere} is not set`);
      return;
    }
    const urlProblem = endpointUrlProblem(url, urlWhere);
    if (urlProblem) problems.push(urlProblem);
    const events = parseEvents(item.events, `${at}.events`, problems);
    if (kind === 'slack') {
      endpoints.push({ kind, name, url, ...(events ? { events } : {}) });
      return;
    }
    if (typeof item.secretEnv !== 'string' || !item.secretEnv) {
      problems.push(`${at}.secretEnv must name the variable holding the endpoint's whsec_… secret`);
      return;
    }
    const raw = env[item.secretEnv]?.trim() ?? '';
    if (!raw) {
      problems.push(`${item.secretEnv} (the secret of endpoint ${name}) is not set`);
      return;
    }
    const secrets = parseSecrets(raw, item.secretEnv, problems);
    endpoints.push({ kind, name, url, secrets, ...(events ? { events } : {}) });
  });
  return endpoints;
}

/**
 * The notification endpoints, or undefined when none is configured. Problems are pushed naming the variable (or
 * file entry) at fault; `consoleUrl` is the fallback for HANDOFF_NOTIFY_CONSOLE_URL.
 */
export function readNotifyConfig(
  env: NodeJS.ProcessEnv,
  problems: string[],
  defaults: { consoleUrl: string },
): NotifyConfig | undefined {
  const endpoints: NotifyEndpoint[] = [];
  const url = env.HANDOFF_NOTIFY_WEBHOOK_URL?.trim();
  const secret = env.HANDOFF_NOTIFY_WEBHOOK_SECRET?.trim();
  if (url) {
    const problem = endpointUrlProblem(url, 'HANDOFF_NOTIFY_WEBHOOK_URL');
    if (problem) problems.push(problem);
    if (!secret)
      problems.push(
        'HANDOFF_NOTIFY_WEBHOOK_SECRET is not set: receivers verify webhooks with it (whsec_ + base64 of 24+ random bytes)',
      );
    else
      endpoints.push({
        kind: 'webhook',
        name: DEFAULT_ENDPOINT,
        url,
        secrets: parseSecrets(secret, 'HANDOFF_NOTIFY_WEBHOOK_SECRET', problems),
      });
  } else if (secret) {
    problems.push('HANDOFF_NOTIFY_WEBHOOK_SECRET is set without HANDOFF_NOTIFY_WEBHOOK_URL');
  }
  const slack = env.HANDOFF_NOTIFY_SLACK_URL?.trim();
  if (slack) {
    const problem = endpointUrlProblem(slack, 'HANDOFF_NOTIFY_SLACK_URL');
    if (problem) problems.push(problem);
    endpoints.push({ kind: 'slack', name: SLACK_ENDPOINT, url: slack });
  }
  const file = env.HANDOFF_NOTIFY_CONFIG?.trim();
  if (file) endpoints.push(...readFile(file, env, problems));

  const names = endpoints.map((e) => e.name);
  for (const name of new Set(names.filter((n, i) => names.indexOf(n) !== i)))
    problems.push(
      `notification endpoint name "${name}" is used twice (HANDOFF_NOTIFY_CONFIG, or a reserved name)`,
    );

  const consoleUrl = env.HANDOFF_NOTIFY_CONSOLE_URL?.trim() || defaults.consoleUrl;
  if (env.HANDOFF_NOTIFY_CONSOLE_URL?.trim()) {
    try {
      if (!/^https?:$/.test(new URL(consoleUrl).protocol)) throw new Error('protocol');
    } catch {
      problems.push(
        'HANDOFF_NOTIFY_CONSOLE_URL must be an http(s) URL such as https://handoff.agency.example',
      );
    }
  }
  return endpoints.length ? { endpoints, consoleUrl: consoleUrl.replace(/\/+$/, '') } : undefined;
}

/** Whether an endpoint takes this type of event. */
export const endpointWants = (endpoint: NotifyEndpoint, type: NotificationType): boolean =>
  endpoint.events === undefined || endpoint.events.includes(type);
