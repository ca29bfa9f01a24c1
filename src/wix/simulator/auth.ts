// Simulated Wix API-key auth: 401 for unknown keys, 403 for missing scope headers, foreign sites or missing permission.
import type { IncomingHttpHeaders } from 'node:http';
import { SimHttpError } from './http';
import { MANAGE_CONTRIBUTORS, type SimApiKey, type SimSite, type SimulatorState } from './state';

export interface AuthOptions {
  autoProvision: boolean;
  bothHeaders: 'accept' | 'reject';
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const raw = headers[name];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function authenticate(state: SimulatorState, headers: IncomingHttpHeaders, opts: AuthOptions): SimApiKey {
  const raw = headerValue(headers, 'authorization');
  if (raw === undefined) throw new SimHttpError(401, 'missing Authorization header (send the raw API key)');
  const key = state.findKey(raw);
  // The key itself is never echoed back.
  if (!key) throw new SimHttpError(401, 'the API key in the Authorization header is not valid');
  if (
    opts.bothHeaders === 'reject' &&
    headerValue(headers, 'wix-site-id') &&
    headerValue(headers, 'wix-account-id')
  )
    throw new SimHttpError(400, 'send either wix-site-id or wix-account-id, not both');
  return key;
}

export function authenticateSiteCall(
  state: SimulatorState,
  headers: IncomingHttpHeaders,
  opts: AuthOptions,
): { key: SimApiKey; site: SimSite } {
  const key = authenticate(state, headers, opts);
  const siteId = headerValue(headers, 'wix-site-id');
  if (siteId === undefined)
    throw new SimHttpError(403, 'this is a site-level call: the wix-site-id header is required');
  if (!key.permissions.has(MANAGE_CONTRIBUTORS))
    throw new SimHttpError(403, `the API key lacks the "${MANAGE_CONTRIBUTORS}" permission`);
  let site = state.findSite(siteId);
  if (!site && opts.autoProvision) {
    state.addSite({ ownerAccountId: key.accountId, siteId });
    site = state.findSite(siteId);
  }
  if (!site || site.ownerAccountId !== key.accountId)
    throw new SimHttpError(403, `the API key's account does not own site ${siteId}`);
  return { key, site };
}

export function authenticateAccountCall(
  state: SimulatorState,
  headers: IncomingHttpHeaders,
  opts: AuthOptions,
): { key: SimApiKey } {
  const key = authenticate(state, headers, opts);
  const accountId = headerValue(headers, 'wix-account-id');
  if (accountId === undefined)
    throw new SimHttpError(403, 'this is an account-level call: the wix-account-id header is required');
  if (accountId !== key.accountId)
    throw new SimHttpError(403, `the API key does not belong to account ${accountId}`);
  return { key };
}
