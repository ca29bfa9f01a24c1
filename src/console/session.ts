// Staff sessions for the console: a signed, HttpOnly, SameSite=Strict cookie naming the token, never holding it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/cookie';
import { staffForFingerprint, staffForToken, type Staff, type StaffToken } from '../api/staff-tokens';

export const SESSION_COOKIE = 'handoff_session';
/** A working day; staff sign in again after it, or at once when their token is rotated out. */
export const SESSION_HOURS = 12;

/** With no token configured (a local trial) everyone is staff, and the console says so on every page. */
export const OPEN_CONSOLE: Staff = { fingerprint: 'open' };

export class StaffSessions {
  constructor(private readonly tokens: readonly StaffToken[]) {}

  get open(): boolean {
    return this.tokens.length === 0;
  }

  /** The staff member the request's session names, if it is signed, unexpired and its token still configured. */
  staffOf(request: FastifyRequest): Staff | undefined {
    if (this.open) return OPEN_CONSOLE;
    const raw = request.cookies[SESSION_COOKIE];
    if (!raw) return undefined;
    const unsigned = request.unsignCookie(raw);
    if (!unsigned.valid || !unsigned.value) return undefined;
    const [fingerprint, expires] = unsigned.value.split('.');
    if (!fingerprint || !(Number(expires) > Date.now())) return undefined;
    return staffForFingerprint(this.tokens, fingerprint);
  }

  /** Checks a pasted token and starts a session for its holder; undefined when the token is wrong. */
  signIn(reply: FastifyReply, token: string): Staff | undefined {
    const staff = staffForToken(this.tokens, token.trim());
    if (!staff) return undefined;
    const expires = Date.now() + SESSION_HOURS * 3600_000;
    void reply.setCookie(SESSION_COOKIE, `${staff.fingerprint}.${expires}`, {
      signed: true,
      httpOnly: true,
      sameSite: 'strict',
      // Secure whenever the console is reached over HTTPS (behind a proxy, trustProxy tells Fastify).
      secure: 'auto',
      path: '/',
      maxAge: SESSION_HOURS * 3600,
    });
    return staff;
  }

  signOut(reply: FastifyReply): void {
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
  }
}

/** Who the audit trail names for a console action. */
export const actorName = (staff: Staff | null): string => staff?.name ?? 'staff (console)';
