// Non-Wix routes under /_simulator/ so people and other processes can play the customer, inject faults and look inside.
import { z } from 'zod';
import { parseFault, type FaultQueue } from './faults';
import { SimHttpError, type SimResponse } from './http';
import type { SimulatorState } from './state';

export const CONTROL_PREFIX = '/_simulator/';

const acceptBodySchema = z.object({ accountId: z.string().min(1).optional() }).strict();

interface ControlRequest {
  method: string;
  pathname: string;
  query: URLSearchParams;
  body: unknown;
  now: number;
}

function controlError(error: SimHttpError): SimResponse {
  return { status: error.status, body: { error: error.message } };
}

function parseAcceptBody(body: unknown): string | undefined {
  const parsed = acceptBodySchema.safeParse(body ?? {});
  if (!parsed.success)
    throw new SimHttpError(400, 'body must be {"accountId"?: non-empty string} and nothing else');
  return parsed.data.accountId;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new SimHttpError(400, `"${segment}" is not valid percent-encoding`);
  }
}

export function handleControl(state: SimulatorState, faults: FaultQueue, req: ControlRequest): SimResponse {
  try {
    return route(state, faults, req);
  } catch (error) {
    if (error instanceof SimHttpError) return controlError(error);
    throw error;
  }
}

function route(state: SimulatorState, faults: FaultQueue, req: ControlRequest): SimResponse {
  const parts = req.pathname.slice(CONTROL_PREFIX.length).split('/').map(decode);
  const { method, now } = req;
  const [resource, id, action, ...rest] = parts;
  if (rest.length === 0 && resource === 'invites') {
    if (method === 'GET' && id === undefined) {
      const email = req.query.get('email') ?? undefined;
      const siteId = req.query.get('siteId') ?? undefined;
      return {
        status: 200,
        body: {
          invites: state.invites({ ...(email ? { email } : {}), ...(siteId ? { siteId } : {}) }, now),
        },
      };
    }
    if (method === 'POST' && id && action === 'accept') {
      return { status: 200, body: state.acceptInvite(id, parseAcceptBody(req.body), now) };
    }
    if (method === 'POST' && id && action === 'decline') {
      return { status: 200, body: { invite: state.declineInvite(id, now) } };
    }
  }
  // The invite's acceptLink, so a person can "accept" from a browser.
  if (resource === 'accept' && id === undefined && method === 'GET') {
    const token = req.query.get('token');
    if (!token) throw new SimHttpError(400, 'the token query parameter is required');
    return { status: 200, body: state.acceptByToken(token, req.query.get('accountId') || undefined, now) };
  }
  if (resource === 'outbox' && id === undefined && method === 'GET') {
    const to = req.query.get('to')?.toLowerCase();
    const emails = state.outbox().filter((m) => to === undefined || m.to.toLowerCase() === to);
    return { status: 200, body: { outbox: emails } };
  }
  if (resource === 'faults' && id === undefined) {
    if (method === 'POST') {
      try {
        faults.add(parseFault(req.body));
      } catch (error) {
        throw new SimHttpError(400, error instanceof Error ? error.message : 'invalid fault');
      }
      return { status: 200, body: { faults: faults.pending() } };
    }
    if (method === 'DELETE') {
      faults.clear();
      return { status: 200, body: { faults: [] } };
    }
  }
  if (resource === 'contributors' && id && action === undefined && method === 'GET') {
    return { status: 200, body: { contributors: state.contributors(id) } };
  }
  throw new SimHttpError(
    404,
    `unknown simulator route ${method} ${req.pathname}; see the WixSimulator docs for /_simulator/ routes`,
  );
}
