// Staff API tokens, named so the audit trail says who acted: HANDOFF_API_TOKEN=alice:<token>,bob:<token>.
import { createHash, timingSafeEqual } from 'node:crypto';

export interface StaffToken {
  /** Who holds it; undefined for the old unnamed form, whose actions are recorded as the caller says. */
  name?: string;
  token: string;
}

/** Who is asking: the token holder's name, when the token has one. */
export interface Staff {
  name?: string;
  /** Identifies the token without revealing it, so a session ends when its token is rotated out. */
  fingerprint: string;
}

const NAMED = /^([A-Za-z0-9._@-]{1,64}):(.+)$/;

/** Entries are `name:token` or a bare token (the old form); several during a rotation. */
export function parseStaffTokens(entries: readonly string[]): StaffToken[] {
  return entries.map((entry) => {
    const named = NAMED.exec(entry);
    return named ? { name: named[1], token: named[2] } : { token: entry };
  });
}

export const fingerprintOf = (token: string): string =>
  createHash('sha256').update(`site-handoff staff token\0${token}`).digest('base64url').slice(0, 22);

/** The holder of the given token, compared in constant time; undefined when it matches none. */
export function staffForToken(tokens: readonly StaffToken[], given: string): Staff | undefined {
  const candidate = Buffer.from(given);
  let found: StaffToken | undefined;
  for (const entry of tokens) {
    const expected = Buffer.from(entry.token);
    // No early exit: every token is compared, so timing does not tell which one matched.
    if (expected.length === candidate.length && timingSafeEqual(expected, candidate)) found ??= entry;
  }
  if (!found) return undefined;
  return { ...(found.name ? { name: found.name } : {}), fingerprint: fingerprintOf(found.token) };
}

/** The holder of an `Authorization: Bearer <token>` header. */
export function staffForBearer(tokens: readonly StaffToken[], header: string | undefined): Staff | undefined {
  const given = /^Bearer (.+)$/.exec(header ?? '')?.[1];
  return given ? staffForToken(tokens, given) : undefined;
}

/** A session's staff member, still valid only while its token is configured. */
export function staffForFingerprint(tokens: readonly StaffToken[], fingerprint: string): Staff | undefined {
  const found = tokens.find((t) => fingerprintOf(t.token) === fingerprint);
  return found ? { ...(found.name ? { name: found.name } : {}), fingerprint } : undefined;
}
