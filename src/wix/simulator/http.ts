// HTTP plumbing shared by the simulator's Wix routes and control routes: body reading, Wix-shaped errors, replies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WixErrorBody, WixFieldViolation } from '../client/wire-types';
import { WIX_CANONICAL_NAMES } from '../client/wire-types';

export interface SimResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

function canonicalName(status: number): string {
  return WIX_CANONICAL_NAMES[status] ?? 'UNKNOWN';
}

// A rejection raised anywhere in request handling; rendered as a Wix error body or a control-route error.
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fieldViolations?: WixFieldViolation[],
  ) {
    super(message);
    this.name = 'SimHttpError';
  }
}

export function violation(
  field: string,
  description: string,
  violatedRule = 'INVALID_ARGUMENT',
): WixFieldViolation {
  return { field, description, violatedRule, ruleName: 'VALIDATION_ERROR', data: {} };
}

export function wixErrorBody(error: SimHttpError): WixErrorBody {
  const name = canonicalName(error.status);
  const message = `${name}: ${error.message}`;
  if (error.fieldViolations?.length) {
    return { message, details: { validationError: { fieldViolations: error.fieldViolations } } };
  }
  return { message, details: { applicationError: { code: name, description: error.message, data: {} } } };
}

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new SimHttpError(400, 'request body is larger than 1 MiB');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

// Empty bodies read as undefined: Wix accepts body-less POSTs such as Revoke.
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimHttpError(400, 'request body is not valid JSON');
  }
}

export function send(res: ServerResponse, response: SimResponse): void {
  if (res.destroyed || res.writableEnded) return;
  const payload = response.body === undefined ? '' : JSON.stringify(response.body);
  res.writeHead(response.status, {
    ...(payload ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
    'Content-Length': Buffer.byteLength(payload),
    ...response.headers,
  });
  res.end(payload);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
