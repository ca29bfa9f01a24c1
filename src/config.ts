// Worker settings from documented environment variables. Temporal's own connection settings are not here:
// they come from @temporalio/envconfig (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS, profiles).

import { createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, parseEncryptionKeys, type EncryptionKey } from './codec/payload-encryption';

export const DEFAULT_TASK_QUEUE = 'site-handoff';

/** Reads `.env` from the working directory when there is one; variables already set win. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}
export const DEFAULT_WIX_API_BASE_URL = 'https://www.wixapis.com';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface WixSettings {
  baseUrl: string;
  apiKey: string;
  accountId: string;
  timeoutMs: number;
  /** Wix documents 200 requests per minute; enforced across all workers by the Wix task queue. */
  callsPerMinute: number;
}

export interface WorkerSettings {
  taskQueue: string;
  encryptionKeys?: EncryptionKey[];
  wix: WixSettings;
  /** Workflows kept in the worker's cache (default: the SDK's, sized from memory); 0 turns caching off. */
  maxCachedWorkflows?: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function readUrl(env: NodeJS.ProcessEnv, name: string, fallback: string, problems: string[]): string {
  const raw = env[name]?.trim() || fallback;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    return raw.replace(/\/+$/, '');
  } catch {
    problems.push(`${name} must be an http(s) URL such as ${fallback}, got "${raw}"`);
    return fallback;
  }
}

function readPositiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, problems: string[]): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    problems.push(`${name} must be a positive whole number, got "${raw}"`);
    return fallback;
  }
  return value;
}

export function readTaskQueue(env: NodeJS.ProcessEnv = process.env): string {
  return env.HANDOFF_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;
}

/** Wix settings for live mode: the key and account are required, the rest has defaults. */
export function readWixSettings(env: NodeJS.ProcessEnv, problems: string[]): WixSettings {
  const apiKey = env.WIX_API_KEY?.trim() ?? '';
  if (!apiKey)
    problems.push('WIX_API_KEY is not set: create an API key with the "Manage Contributors" permission');
  const accountId = env.WIX_ACCOUNT_ID?.trim() ?? '';
  if (!accountId) problems.push('WIX_ACCOUNT_ID is not set: the id of the Wix account that owns the API key');
  else if (!GUID.test(accountId)) problems.push(`WIX_ACCOUNT_ID must be a GUID, got "${accountId}"`);
  return {
    baseUrl: readUrl(env, 'WIX_API_BASE_URL', DEFAULT_WIX_API_BASE_URL, problems),
    apiKey,
    accountId,
    timeoutMs: readPositiveInt(env, 'WIX_TIMEOUT_MS', 15_000, problems),
    callsPerMinute: readPositiveInt(env, 'WIX_RATE_LIMIT_PER_MINUTE', 200, problems),
  };
}

export function loadWorkerSettings(env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  const problems: string[] = [];
  const wix = readWixSettings(env, problems);
  const rawCache = env.HANDOFF_MAX_CACHED_WORKFLOWS?.trim();
  const maxCachedWorkflows = rawCache ? Number(rawCache) : undefined;
  if (
    maxCachedWorkflows !== undefined &&
    !(Number.isInteger(maxCachedWorkflows) && maxCachedWorkflows >= 0)
  ) {
    problems.push(`HANDOFF_MAX_CACHED_WORKFLOWS must be a whole number, 0 or more, got "${rawCache}"`);
  }
  const encryptionKeys = readEncryptionKeys(env, problems);
  if (problems.length) throw new ConfigError(problems);
  return { taskQueue: readTaskQueue(env), wix, maxCachedWorkflows, encryptionKeys };
}

/** Where `npm start` keeps the key it generates for its embedded server, so restarts can still decrypt. */
export const localKeyFile = (env: NodeJS.ProcessEnv): string =>
  path.resolve(env.HANDOFF_DATA_DIR?.trim() || '.data', 'encryption-keys');

/**
 * Payload encryption keys: HANDOFF_ENCRYPTION_KEYS, else the key file `npm start` made for its embedded server;
 * undefined means payloads are stored in clear.
 */
export function readEncryptionKeys(env: NodeJS.ProcessEnv, problems: string[]): EncryptionKey[] | undefined {
  let raw = env.HANDOFF_ENCRYPTION_KEYS?.trim();
  const file = localKeyFile(env);
  if (!raw && existsSync(file)) raw = readFileSync(file, 'utf8').trim();
  if (!raw) return undefined;
  try {
    return parseEncryptionKeys(raw);
  } catch (err) {
    problems.push((err as Error).message);
    return undefined;
  }
}

/** The data converter every client and worker of a deployment must share. */
export function dataConverterFor(keys: EncryptionKey[] | undefined): DataConverter {
  return keys ? { payloadCodecs: [new EncryptionCodec(keys)] } : {};
}

export interface LedgerSettings {
  /** PostgreSQL (HANDOFF_DATABASE_URL): what production uses, shared by every worker and API process. */
  databaseUrl?: string;
  /** Otherwise the embedded PGlite database in this directory, for one process only. */
  dataDir: string;
}

/** Where handoff records are kept; an invalid URL stops the process, naming the variable. */
export function readLedgerSettings(env: NodeJS.ProcessEnv, problems: string[]): LedgerSettings {
  const databaseUrl = env.HANDOFF_DATABASE_URL?.trim() || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\/\S+$/.test(databaseUrl)) {
    problems.push(
      'HANDOFF_DATABASE_URL must be a postgres:// URL such as postgres://user:password@host:5432/handoffs',
    );
  }
  const dataDir = path.resolve(
    env.HANDOFF_LEDGER_DIR?.trim() || path.join(env.HANDOFF_DATA_DIR?.trim() || '.data', 'ledger'),
  );
  return databaseUrl ? { databaseUrl, dataDir } : { dataDir };
}

/**
 * The public key Wix signs account-level webhooks with (WIX_WEBHOOK_PUBLIC_KEY, PEM as the Webhooks page's "Get
 * Public Key" shows it; `\n` escapes and the bare base64 body are accepted too). Unset: Wix's push hints are refused.
 */
export function readWixWebhookPublicKey(env: NodeJS.ProcessEnv, problems: string[]): KeyObject | undefined {
  const raw = env.WIX_WEBHOOK_PUBLIC_KEY?.trim();
  if (!raw) return undefined;
  let pem = raw.replace(/\\n/g, '\n');
  if (pem.includes('PRIVATE KEY')) {
    problems.push(
      'WIX_WEBHOOK_PUBLIC_KEY holds a private key: paste the public key Wix shows, nothing secret',
    );
    return undefined;
  }
  if (!pem.includes('-----BEGIN')) {
    const body = pem.replace(/\s+/g, '');
    pem = `-----BEGIN PUBLIC KEY-----\n${body.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END PUBLIC KEY-----\n`;
  }
  try {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'rsa') {
      problems.push(
        `WIX_WEBHOOK_PUBLIC_KEY must be an RSA public key (Wix signs with RS256), got ${key.asymmetricKeyType}`,
      );
      return undefined;
    }
    return key;
  } catch {
    problems.push(
      'WIX_WEBHOOK_PUBLIC_KEY is not a PEM public key: paste the key from Wix (Settings > Webhooks > Get Public Key)',
    );
    return undefined;
  }
}

/** What the sandbox simulator does with its Contributor Created hints (WIX_SIMULATOR_WEBHOOKS, default on). */
export type SimulatorWebhooksMode = 'on' | 'off' | 'drop';

export function readSimulatorWebhooksMode(env: NodeJS.ProcessEnv, problems: string[]): SimulatorWebhooksMode {
  const raw = env.WIX_SIMULATOR_WEBHOOKS?.trim().toLowerCase() || 'on';
  if (raw === 'on' || raw === 'off' || raw === 'drop') return raw;
  problems.push(`WIX_SIMULATOR_WEBHOOKS must be on, off or drop, got "${env.WIX_SIMULATOR_WEBHOOKS}"`);
  return 'on';
}
