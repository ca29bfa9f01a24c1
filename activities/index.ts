import type { WixClient } from '../src/wix/client/wix-client';
import type { SiteInvite } from '../src/wix/client/wire-types';
import { INVITE_VALIDITY_MS, type SentInvite } from '../workflows/handoff-types';
import { activityInfo } from '@temporalio/activity';
import { toWixFailure } from './wix-failure';

export interface ActivityDeps {
  wix: Pick<
    WixClient,
    | 'resolveRole'
    | 'querySiteContributors'
    | 'bulkInvite'
    | 'resendInvite'
    | 'revokeInvite'
    | 'removeContributor'
  >;
  /** Used when Wix leaves out an invite's expirationDate: invites last 30 days (Wix help centre). */
  inviteValidityMs?: number;
}

export function createActivities({ wix, inviteValidityMs = INVITE_VALIDITY_MS }: ActivityDeps) {
  const expiryOf = (invite: SiteInvite | undefined): number | undefined => {
    const parsed = invite?.expirationDate ? Date.parse(invite.expirationDate) : NaN;
    return Number.isFinite(parsed) ? parsed : undefined;
  };

  async function contributorsWithRole(siteId: string, roleId: string): Promise<string[]> {
    const contributors = await wix.querySiteContributors(siteId, { policyIds: [roleId] });
    return [...new Set(contributors.map((c) => c.accountId).filter((id): id is string => !!id))].sort();
  }

  return {
    /** Resolves the role and snapshots who already holds it, so they are never taken for the customer. */
    async prepareHandoff(input: {
      siteId: string;
      role: string;
    }): Promise<{ roleId: string; contributorAccountIds: string[] }> {
      try {
        const role = await wix.resolveRole(input.role);
        return { roleId: role.id, contributorAccountIds: await contributorsWithRole(input.siteId, role.id) };
      } catch (err) {
        throw toWixFailure(err, { sendsEmail: false });
      }
    },

    async sendInvites(input: {
      siteId: string;
      roleId: string;
      emails: string[];
      language?: string;
    }): Promise<{ invites: SentInvite[]; failedEmails: string[] }> {
      try {
        const answer = await wix.bulkInvite(input.siteId, {
          policyIds: [input.roleId],
          emails: input.emails,
          ...(input.language ? { defaultEmailLanguage: input.language } : {}),
        });
        const now = Date.now();
        const invites = answer.invites
          .filter((i): i is SiteInvite & { id: string; email: string } => !!i.id && !!i.email)
          .map((i) => ({
            email: i.email.toLowerCase(),
            inviteId: i.id,
            expiresAt: expiryOf(i) ?? now + inviteValidityMs,
            ...(i.acceptLink ? { inviteLink: i.acceptLink } : {}),
          }));
        return { invites, failedEmails: answer.failedEmails.map((e) => e.toLowerCase()) };
      } catch (err) {
        throw toWixFailure(err, { sendsEmail: true });
      }
    },

    async resendInvite(input: {
      siteId: string;
      inviteId: string;
      language?: string;
    }): Promise<{ expiresAt: number | null }> {
      try {
        const invite = await wix.resendInvite(
          input.siteId,
          input.inviteId,
          input.language ? { defaultEmailLanguage: input.language } : undefined,
        );
        return { expiresAt: expiryOf(invite) ?? null };
      } catch (err) {
        throw toWixFailure(err, { sendsEmail: true });
      }
    },

    /** 404 and 428 are answers, not failures: the invite is gone, or no longer revocable (accepted). */
    async revokeInvite(input: {
      siteId: string;
      inviteId: string;
    }): Promise<{ outcome: 'revoked' | 'refused'; detail?: string }> {
      try {
        await wix.revokeInvite(input.siteId, input.inviteId);
        return { outcome: 'revoked' };
      } catch (err) {
        const failure = toWixFailure(err, { sendsEmail: false });
        const status = (failure.details?.[0] as { status?: number } | undefined)?.status;
        if (status === 404) return { outcome: 'revoked', detail: 'Wix no longer knows this invite' };
        if (status === 428) {
          return {
            outcome: 'refused',
            detail: 'Wix refused to revoke: the invite is no longer pending (accepted or deleted in Wix)',
          };
        }
        throw failure;
      }
    },

    /** Staff's Remove Contributor; a retry that finds the account gone means an earlier attempt removed it. */
    async removeContributor(input: {
      siteId: string;
      accountId: string;
    }): Promise<{ removed: true; detail?: string }> {
      try {
        await wix.removeContributor(input.siteId, input.accountId);
        return { removed: true };
      } catch (err) {
        const failure = toWixFailure(err, { sendsEmail: false });
        const status = (failure.details?.[0] as { status?: number } | undefined)?.status;
        if (status === 404 && activityInfo().attempt > 1)
          return { removed: true, detail: 'gone on a retry: an earlier attempt removed it' };
        throw failure;
      }
    },

    async findContributors(input: { siteId: string; roleId: string }): Promise<string[]> {
      try {
        return await contributorsWithRole(input.siteId, input.roleId);
      } catch (err) {
        throw toWixFailure(err, { sendsEmail: false });
      }
    },
  };
}

export type HandoffActivities = ReturnType<typeof createActivities>;
