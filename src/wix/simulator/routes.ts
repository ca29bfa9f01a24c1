// The Wix REST routes the simulator serves: request validation and mapping onto SimulatorState operations.
import type { IncomingHttpHeaders } from 'node:http';
import { authenticateAccountCall, authenticateSiteCall, type AuthOptions } from './auth';
import type { WixRouteName } from './faults';
import { isRecord, SimHttpError, violation, wixErrorBody, type SimResponse } from './http';
import { isValidEmail, type SimApiKey, type SimSite, type SimulatorState } from './state';
import type { RoleLevel, WixFieldViolation } from '../client/wire-types';

interface WixRouteRequest {
  params: string[];
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: unknown;
  now: number;
}

interface SiteCall extends WixRouteRequest {
  key: SimApiKey;
  site: SimSite;
}

interface RouteDef {
  name: WixRouteName;
  methods: readonly string[];
  pattern: RegExp;
  scope: 'site' | 'account';
  handle: (state: SimulatorState, call: SiteCall | (WixRouteRequest & { key: SimApiKey })) => SimResponse;
}

interface WixRouteMatch {
  name: WixRouteName;
  run: (state: SimulatorState, auth: AuthOptions, req: Omit<WixRouteRequest, 'params'>) => SimResponse;
}

function stringList(
  source: Record<string, unknown>,
  field: string,
  violations: WixFieldViolation[],
  label: (index: number) => string = (index) => `${field}[${index}]`,
): string[] {
  const value = source[field];
  if (value === undefined || value === null) {
    violations.push(violation(field, 'is required', 'REQUIRED_FIELD'));
    return [];
  }
  if (!Array.isArray(value)) {
    violations.push(violation(field, 'must be an array of strings'));
    return [];
  }
  if (value.length === 0) violations.push(violation(field, 'must contain at least one item', 'MIN_ITEMS'));
  value.forEach((item, index) => {
    if (typeof item !== 'string' || item.trim() === '')
      violations.push(violation(label(index), 'must be a non-empty string'));
  });
  return value.filter((item): item is string => typeof item === 'string' && item.trim() !== '');
}

function optionalString(
  source: Record<string, unknown>,
  field: string,
  violations: WixFieldViolation[],
): string | undefined {
  const value = source[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    violations.push(violation(field, 'must be a string'));
    return undefined;
  }
  return value;
}

function requiredString(
  source: Record<string, unknown>,
  field: string,
  violations: WixFieldViolation[],
): string {
  const value = source[field];
  if (typeof value === 'string' && value.trim() !== '') return value;
  violations.push(
    violation(field, value === undefined || value === null ? 'is required' : 'must be a non-empty string'),
  );
  return '';
}

function reject(violations: WixFieldViolation[]): void {
  if (violations.length === 0) return;
  const fields = violations.map((v) => v.field).join(', ');
  throw new SimHttpError(400, `invalid request: ${fields}`, violations);
}

// Wix is lenient about unknown fields, so only the fields it documents are checked.
function objectBody(body: unknown, optional: boolean): Record<string, unknown> {
  if (body === undefined && optional) return {};
  if (isRecord(body)) return body;
  if (body === undefined) return {};
  throw new SimHttpError(400, 'request body must be a JSON object', [
    violation('body', 'must be a JSON object'),
  ]);
}

function bulkInvite(state: SimulatorState, call: SiteCall, invalidEmail: 'failed' | 'reject'): SimResponse {
  const body = objectBody(call.body, false);
  const violations: WixFieldViolation[] = [];
  const policyIds = stringList(body, 'policyIds', violations);
  const emails = stringList(body, 'emails', violations);
  const language = optionalString(body, 'defaultEmailLanguage', violations);
  if (invalidEmail === 'reject') {
    emails.forEach((email, index) => {
      if (!isValidEmail(email))
        violations.push(violation(`emails[${index}]`, 'is not a valid email address', 'FORMAT'));
    });
  }
  reject(violations);
  reject(state.assignableRoleViolations(policyIds, (index) => `policyIds[${index}]`));
  const result = state.bulkInvite(call.site, call.key.accountId, { policyIds, emails, language }, call.now);
  return { status: 200, body: result };
}

function decodeParam(raw: string | undefined): string {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    throw new SimHttpError(400, 'invite id in the path is not valid percent-encoding', [
      violation('inviteId', 'must be a GUID'),
    ]);
  }
}

function resendInvite(state: SimulatorState, call: SiteCall): SimResponse {
  const body = objectBody(call.body, true);
  const violations: WixFieldViolation[] = [];
  const language = optionalString(body, 'defaultEmailLanguage', violations);
  reject(violations);
  const invite = state.resendInvite(call.site, decodeParam(call.params[0]), language, call.now);
  return { status: 200, body: { invite } };
}

function revokeInvite(state: SimulatorState, call: SiteCall): SimResponse {
  state.revokeInvite(call.site, decodeParam(call.params[0]), call.now);
  return { status: 200, body: {} };
}

function queryContributors(state: SimulatorState, call: SiteCall): SimResponse {
  const nonEmpty = (values: string[]) => values.filter((v) => v !== '');
  const policyIds = nonEmpty(call.query.getAll('filter.policyIds'));
  const locationIds = nonEmpty(call.query.getAll('filter.locationIds'));
  // Some clients send the filter as a JSON body even on GET; Wix's gateway tolerates it.
  if (isRecord(call.body) && isRecord(call.body.filter)) {
    const filter = call.body.filter;
    if (Array.isArray(filter.policyIds))
      policyIds.push(...filter.policyIds.filter((v): v is string => typeof v === 'string'));
    if (Array.isArray(filter.locationIds))
      locationIds.push(...filter.locationIds.filter((v): v is string => typeof v === 'string'));
  }
  return {
    status: 200,
    body: { contributors: state.queryContributors(call.site, { policyIds, locationIds }) },
  };
}

function changeRole(state: SimulatorState, call: SiteCall): SimResponse {
  const body = objectBody(call.body, false);
  const violations: WixFieldViolation[] = [];
  const accountId = requiredString(body, 'accountId', violations);
  const newRoles = body.newRoles;
  const roleIds: string[] = [];
  if (!Array.isArray(newRoles) || newRoles.length === 0) {
    violations.push(violation('newRoles', 'must be a non-empty array of {roleId}', 'REQUIRED_FIELD'));
  } else {
    newRoles.forEach((role, index) => {
      const roleId = isRecord(role) ? role.roleId : undefined;
      if (typeof roleId === 'string' && roleId !== '') roleIds.push(roleId);
      else violations.push(violation(`newRoles[${index}].roleId`, 'is required'));
    });
  }
  reject(violations);
  reject(state.assignableRoleViolations(roleIds, (index) => `newRoles[${index}].roleId`));
  return { status: 200, body: { newAssignedRoles: state.changeRole(call.site, accountId, roleIds) } };
}

function removeContributor(state: SimulatorState, call: SiteCall): SimResponse {
  const body = objectBody(call.body, false);
  const violations: WixFieldViolation[] = [];
  const accountId = requiredString(body, 'accountId', violations);
  reject(violations);
  state.removeContributor(call.site, accountId);
  return { status: 200, body: {} };
}

const ROLE_LEVELS: readonly RoleLevel[] = ['ALL', 'SITE_LEVEL', 'ACCOUNT_LEVEL'];

function rolesInfo(state: SimulatorState, req: WixRouteRequest): SimResponse {
  // Docs spell it filter.roleLevel; a public script uses filter.role_level.
  const raw = req.query.get('filter.roleLevel') ?? req.query.get('filter.role_level') ?? 'ALL';
  const level = ROLE_LEVELS.find((l) => l === raw);
  if (!level)
    throw new SimHttpError(400, `unknown role level "${raw}"`, [
      violation('filter.roleLevel', `must be one of ${ROLE_LEVELS.join(', ')}`),
    ]);
  return { status: 200, body: state.rolesInfo(level) };
}

function buildRoutes(invalidEmail: 'failed' | 'reject'): RouteDef[] {
  const site = (fn: (state: SimulatorState, call: SiteCall) => SimResponse): RouteDef['handle'] => {
    return (state, call) => fn(state, call as SiteCall);
  };
  return [
    {
      name: 'bulk',
      methods: ['POST'],
      pattern: /^\/invites\/site-invite\/bulk$/,
      scope: 'site',
      handle: site((state, call) => bulkInvite(state, call, invalidEmail)),
    },
    {
      name: 'resend',
      methods: ['POST'],
      pattern: /^\/invites\/site-invite\/([^/]+)\/resend$/,
      scope: 'site',
      handle: site(resendInvite),
    },
    {
      name: 'revoke',
      methods: ['POST'],
      pattern: /^\/invites\/site-invite\/([^/]+)\/revoke$/,
      scope: 'site',
      handle: site(revokeInvite),
    },
    {
      name: 'contributors',
      methods: ['GET'],
      pattern: /^\/roles-management\/v2\/contributors\/query$/,
      scope: 'site',
      handle: site(queryContributors),
    },
    {
      // The older docs use PATCH, the newer PUT.
      name: 'contributors',
      methods: ['PUT', 'PATCH'],
      pattern: /^\/roles-management\/contributor\/change\/role$/,
      scope: 'site',
      handle: site(changeRole),
    },
    {
      name: 'contributors',
      methods: ['POST'],
      pattern: /^\/roles-management\/contributor\/remove$/,
      scope: 'site',
      handle: site(removeContributor),
    },
    {
      name: 'roles',
      methods: ['GET'],
      pattern: /^\/roles-management\/roles$/,
      scope: 'account',
      handle: rolesInfo,
    },
  ];
}

export function wixErrorResponse(error: SimHttpError): SimResponse {
  return { status: error.status, body: wixErrorBody(error) };
}

export class WixRouter {
  private readonly routes: RouteDef[];

  constructor(invalidEmail: 'failed' | 'reject') {
    this.routes = buildRoutes(invalidEmail);
  }

  match(method: string, pathname: string): WixRouteMatch | undefined {
    for (const route of this.routes) {
      const found = route.pattern.exec(pathname);
      if (!found || !route.methods.includes(method)) continue;
      const params = found.slice(1);
      return {
        name: route.name,
        run: (state, auth, req) => {
          try {
            const call =
              route.scope === 'site'
                ? { ...req, params, ...authenticateSiteCall(state, req.headers, auth) }
                : { ...req, params, ...authenticateAccountCall(state, req.headers, auth) };
            return route.handle(state, call);
          } catch (error) {
            if (error instanceof SimHttpError) return wixErrorResponse(error);
            throw error;
          }
        },
      };
    }
    return undefined;
  }
}
