// The HTTP API under test: built as the service builds it, on an ephemeral loopback port, with small helpers
// to call it and to wait for a handoff's status.
import type { AddressInfo } from 'node:net';
import { buildApi, type ApiOptions } from '../../src/api/server';
import type { HandoffStatus } from '../../workflows/handoff-types';

export interface ApiUnderTest {
  base: string;
  call: (
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<{ status: number; text: string; json: Record<string, unknown> }>;
  /** Reads `path` until the status passes `check`, for up to 30 s. */
  until: (path: string, check: (s: HandoffStatus) => boolean, what: string) => Promise<HandoffStatus>;
  close: () => Promise<void>;
}

export async function startApiUnderTest(
  options: ApiOptions,
  /** Sent with every call, e.g. a staff token. */
  defaultHeaders: Record<string, string> = {},
): Promise<ApiUnderTest> {
  const api = buildApi(options);
  await api.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const call: ApiUnderTest['call'] = async (method, path, body, headers = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...defaultHeaders,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      // CSV, JSON Lines and HTML answers are read through `text`.
    }
    return { status: response.status, text, json };
  };
  const until: ApiUnderTest['until'] = async (path, check, what) => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const { status, json } = await call('GET', path);
      if (status === 200 && check(json as unknown as HandoffStatus)) return json as unknown as HandoffStatus;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`Timed out waiting for ${what}`);
  };
  return { base, call, until, close: () => api.close() };
}
