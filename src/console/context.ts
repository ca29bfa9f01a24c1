// What the console's page routes share: its options, the notifier, sessions, and how to frame, send and guard a page.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Client } from '@temporalio/client';
import type { VNode } from 'preact';
import type { Ledger } from '../ledger';
import type { Notifier } from '../notify';
import type { StaffToken } from '../api/staff-tokens';
import type { StaffSessions } from './session';
import type { PageFrame } from './pages/layout';
import type { MailboxEmail } from './pages/mailbox';

/** The simulator's outbox, in sandbox mode only: never wired against live Wix. */
export interface SandboxMailbox {
  emails: () => MailboxEmail[];
  /** Plays the customer: accepts the invite at the simulated Wix. */
  accept: (inviteId: string) => void;
}

export interface ConsoleOptions {
  client: Client;
  namespace: string;
  taskQueue: string;
  ledger: Ledger;
  staffTokens: readonly StaffToken[];
  /** Signs session and CSRF cookies; a random one per process means signing in again after a restart. */
  sessionSecret: string;
  /** The Temporal Web UI, for a link from each handoff to its workflow. */
  temporalUiUrl?: string;
  mailbox?: SandboxMailbox;
  /** How often list and detail refresh themselves. */
  pollSeconds?: number;
  /**
   * Notification endpoints, for the delivery log, redelivery and endpoint health; when left out, the notifier the
   * API's notification routes were given on the same app (the same configuration for both surfaces).
   */
  notifier?: Notifier;
}

/** What the page routes share: the options, how to frame and send a page, and the guard. */
export interface ConsoleContext {
  options: ConsoleOptions;
  /** Undefined when notifications are not configured here: the log alone is shown, nothing redelivered. */
  notifier: Notifier | undefined;
  sessions: StaffSessions;
  pollSeconds: number;
  frame: (request: FastifyRequest, reply: FastifyReply, current: PageFrame['current']) => PageFrame;
  send: (reply: FastifyReply, page: VNode, status?: number) => FastifyReply;
  /** preHandler: staff only; a browser without a session is sent to sign in. */
  staffOnly: (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;
  /** preHandler for forms: the CSRF token must match. */
  csrf: FastifyInstance['csrfProtection'];
}
