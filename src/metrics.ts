// Prometheus metrics for the service: Wix traffic and outcomes are counted where the calls are made.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActivityDeps } from '../activities';
import { WixApiError } from './wix/client/errors';

export interface HandoffMetrics {
  registry: Registry;
  invitesSent: Counter;
  remindersSent: Counter;
  revokes: Counter;
  wixErrors: Counter<'operation' | 'status'>;
  wixLatency: Histogram<'operation'>;
  /** Wix's Contributor Created webhooks, by what became of each hint (checked, unknown_site, refused, …). */
  wixHints: Counter<'outcome'>;
}

export function createMetrics(): HandoffMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    invitesSent: new Counter({
      name: 'handoff_invites_sent_total',
      help: 'Invites Wix accepted to send (Bulk Invite)',
      registers: [registry],
    }),
    remindersSent: new Counter({
      name: 'handoff_resends_total',
      help: 'Reminders and renewals sent (Resend Invite)',
      registers: [registry],
    }),
    revokes: new Counter({
      name: 'handoff_revokes_total',
      help: 'Invites revoked (Revoke Invite)',
      registers: [registry],
    }),
    wixErrors: new Counter({
      name: 'handoff_wix_errors_total',
      help: 'Wix calls that failed, by operation and HTTP status (0 = no answer)',
      labelNames: ['operation', 'status'] as const,
      registers: [registry],
    }),
    wixLatency: new Histogram({
      name: 'handoff_wix_call_seconds',
      help: 'Latency of Wix calls made by activities',
      labelNames: ['operation'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
      registers: [registry],
    }),
    wixHints: new Counter({
      name: 'handoff_wix_hints_total',
      help: "Wix's Contributor Created webhooks (hints to check acceptance now), by outcome",
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
  };
}

type WixCalls = ActivityDeps['wix'];

/** Wraps the Wix client so every call is timed and counted, without the activities knowing. */
export function instrumentWix(wix: WixCalls, metrics: HandoffMetrics): WixCalls {
  async function observe<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const end = metrics.wixLatency.startTimer({ operation });
    try {
      return await call();
    } catch (err) {
      const status = err instanceof WixApiError ? String(err.status ?? 0) : '0';
      metrics.wixErrors.inc({ operation, status });
      throw err;
    } finally {
      end();
    }
  }
  return {
    resolveRole: (role) => observe('getRolesInfo', () => wix.resolveRole(role)),
    querySiteContributors: (siteId, filter) =>
      observe('querySiteContributors', () => wix.querySiteContributors(siteId, filter)),
    bulkInvite: async (siteId, request) => {
      const answer = await observe('bulkInvite', () => wix.bulkInvite(siteId, request));
      metrics.invitesSent.inc(answer.invites.length);
      return answer;
    },
    resendInvite: async (siteId, inviteId, request) => {
      const invite = await observe('resendInvite', () => wix.resendInvite(siteId, inviteId, request));
      metrics.remindersSent.inc();
      return invite;
    },
    revokeInvite: async (siteId, inviteId) => {
      await observe('revokeInvite', () => wix.revokeInvite(siteId, inviteId));
      metrics.revokes.inc();
    },
    removeContributor: (siteId, accountId) =>
      observe('removeContributor', () => wix.removeContributor(siteId, accountId)),
  };
}
