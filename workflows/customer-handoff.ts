// One workflow per site handoff (id `handoff-<siteId>`): invites the customer, reminds on durable timers,
// detects acceptance, renews or expires with the invite, revokes on request. The invite machine decides what is
// allowed and what is due; `Handoff` holds the state and takes messages; `WixSteps` calls Wix; this file waits.
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type {
  AcceptedNotice,
  ChangeRequest,
  HandoffStatus,
  ResendRequest,
  RestartInput,
  RetryRequest,
  RevokeRequest,
} from './handoff-types';
import { Handoff, type CarriedHandoff } from './handoff';
import { ADAPTIVE_CHECKS, ESCALATION_DEFAULTS } from './invite-machine';
import { HANDOFF_STATE_ATTRIBUTE } from './search-attributes';
import { LedgerSync } from './ledger-sync';
import { WixSteps } from './wix-steps';

export { wixTaskQueue } from './wix-steps';
export type { CarriedHandoff } from './handoff';

export const WORKFLOW_TYPE = 'customerHandoff';
export const handoffWorkflowId = (siteId: string): string => `handoff-${siteId.trim().toLowerCase()}`;

export const projectCompletedSignal = defineSignal<[unknown]>('projectCompleted');
export const revokeSignal = defineSignal<[RevokeRequest]>('revoke');
export const acceptedSignal = defineSignal<[AcceptedNotice]>('accepted');
export const retrySignal = defineSignal<[RetryRequest]>('retry');
export const resendSignal = defineSignal<[ResendRequest]>('resend');
export const statusQuery = defineQuery<HandoffStatus>('status');
/** Revoke with an answer: rejected (and kept out of history) when the machine refuses it. */
export const revokeUpdate = defineUpdate<HandoffStatus, [RevokeRequest]>('requestRevoke');
/** Resend now with an answer, by the same rules as reminders (never after acceptance or expiry). */
export const resendUpdate = defineUpdate<HandoffStatus, [ResendRequest]>('requestResend');
/** A change to the running handoff (invitees, pause, policy, check now), answered with the new status. */
export const changeUpdate = defineUpdate<HandoffStatus, [ChangeRequest]>('requestChange');

/** A handoff started with a refused payload waits this long for a corrected one. */
const AWAIT_VALID_PROJECT = '1 hour';
const UNCONFIRMED_WATCH = '6 hours';

export async function customerHandoff(
  carried?: CarriedHandoff,
  /** Staff started the site's handoff again after it ended: the new run links the previous one. */
  restart?: RestartInput,
): Promise<HandoffStatus> {
  const indexed = workflowInfo().typedSearchAttributes.get(HANDOFF_STATE_ATTRIBUTE) !== undefined;
  // Defaults for handoffs this code starts; patched() keeps a run on the defaults it began with.
  const newDefaults = {
    ...(patched('escalation') ? ESCALATION_DEFAULTS : {}),
    ...(patched('adaptive-checks') ? ADAPTIVE_CHECKS : {}),
  };
  const handoff = new Handoff(carried ?? undefined, indexed, restart ?? undefined, newDefaults);
  // Decided once per run, at its start: a run begun on older code keeps that code's behaviour to its end.
  const wix = new WixSteps(handoff, { waitOutWixPause: patched('wait-out-wix-pause') });
  // A restarted run's ledger already holds the previous runs' entries: it writes only what this run adds.
  const ledger = patched('ledger-writes')
    ? new LedgerSync(handoff, carried?.ledgerAcked ?? restart?.auditCount)
    : undefined;
  ledger?.start();

  // Handlers first, before any await, so no message is dropped.
  setHandler(projectCompletedSignal, (payload) => handoff.receive({ kind: 'project', payload }));
  setHandler(revokeSignal, (request) => handoff.receive({ kind: 'revoke', request }));
  setHandler(acceptedSignal, (notice) => handoff.receive({ kind: 'accepted', notice }));
  setHandler(retrySignal, (request) => handoff.receive({ kind: 'retry', request }));
  setHandler(resendSignal, (request) => handoff.receive({ kind: 'resend', request }));
  setHandler(statusQuery, () => handoff.status());
  setHandler(revokeUpdate, (request: RevokeRequest) => handoff.answer({ kind: 'revoke', request }), {
    validator: (request: RevokeRequest) => handoff.validateRevoke(request),
  });
  setHandler(resendUpdate, (request: ResendRequest) => handoff.answer({ kind: 'resend', request }), {
    validator: (request: ResendRequest) => handoff.validateResend(request),
  });
  setHandler(changeUpdate, (request: ChangeRequest) => handoff.answerChange(request), {
    validator: (request: ChangeRequest) => handoff.validateChange(request),
  });

  try {
    for (;;) {
      handoff.takeMessages();
      if (handoff.done) break;
      const { state } = handoff;
      if (workflowInfo().continueAsNewSuggested && (state === 'pending' || state === 'failed')) {
        await condition(allHandlersFinished);
        await ledger?.flushed();
        if (!handoff.hasMessages)
          await continueAsNew<typeof customerHandoff>(handoff.carry(ledger?.acknowledged));
        continue;
      }
      switch (state) {
        case 'inviting':
          await wix.invite();
          break;
        case 'pending':
          await wix.tendPending();
          break;
        case 'revoking':
          await wix.revokePending();
          break;
        case 'awaitingProject':
          // Started with a payload that was refused: give the sender time to correct it, then fail visibly
          // (a failed run lets a corrected event start the handoff afresh).
          if (!(await handoff.waitForMessage(AWAIT_VALID_PROJECT))) {
            throw ApplicationFailure.nonRetryable(
              `No valid projectCompleted signal arrived: ${handoff.status().lastRefusal?.reason ?? 'none was sent'}`,
              'InvalidProjectCompleted',
            );
          }
          break;
        default: {
          // failed waits for staff: a retry, an acceptance, a revoke or a corrected project event. An invite
          // that may have gone out (unconfirmed) can still be accepted, so contributors are still watched.
          const watch =
            handoff.context.roleId !== undefined &&
            handoff.context.invitees.some((i) => i.status === 'unconfirmed') &&
            patched('watch-unconfirmed-invites');
          // Adaptive handoffs' quiet rate is days: an unconfirmed invite is still looked at every 6 hours.
          const watchMs = handoff.context.policy.checkAfterEmailMs
            ? UNCONFIRMED_WATCH
            : handoff.context.policy.acceptancePollMs;
          if (!watch) await handoff.waitForMessage();
          else if (!(await handoff.waitForMessage(watchMs))) await wix.checkContributors();
        }
      }
    }
  } catch (err) {
    if (!isCancellation(err)) throw err;
    // A cancelled handoff must not leave an invite that still works.
    await CancellationScope.nonCancellable(async () => {
      const reason = handoff.feed({
        type: 'REVOKE_REQUESTED',
        at: Date.now(),
        reason: 'workflow cancelled',
        actor: 'temporal',
      });
      handoff.record(reason ? 'cancelled; revoke refused' : 'cancelled; revoking', 'temporal', reason);
      while (!handoff.done && handoff.state === 'revoking') await wix.revokePending();
      await ledger?.flushed();
    });
    throw err;
  }
  if (handoff.state === 'revoked' && patched('contributor-check-after-revoke')) await wix.checkAfterRevoke();
  // Let an in-flight revoke update see its answer before the workflow closes.
  await condition(allHandlersFinished);
  // The record outlives the workflow: it closes only once the ledger has its end.
  await ledger?.flushed();
  // A message that arrived while the run was closing is answered in the audit (refused, or "nothing new"), not
  // dropped unseen.
  while (handoff.hasMessages && patched('late-messages-audited')) {
    handoff.takeMessages();
    await ledger?.flushed();
  }
  return handoff.status();
}
