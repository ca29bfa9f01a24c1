// Keeps the handoff's record in the ledger (the database that outlives Temporal's retention): after every change,
// one write at a time and in order, retried until the database answers. The handoff never waits for it.
import {
  ActivityFailure,
  CancellationScope,
  condition,
  log,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { LedgerActivities } from '../activities/ledger';
import type { Handoff } from './handoff';

/** A ledger outage is waited out: retried without end, backing off to a minute, never failing the handoff. */
const { recordInLedger } = proxyActivities<LedgerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export class LedgerSync {
  private acked: number;
  private writing = false;

  constructor(
    private readonly handoff: Handoff,
    /** What the previous run had written, so a continued run sends only what is new. */
    acked = 0,
  ) {
    this.acked = acked;
  }

  get acknowledged(): number {
    return this.acked;
  }

  /** Runs for the whole workflow; not cancellable, so a cancelled handoff's revoke is recorded too. */
  start(): void {
    void CancellationScope.nonCancellable(() => this.loop());
  }

  /** Resolves once every change so far is in the ledger. */
  flushed(): Promise<void> {
    return condition(
      () =>
        !this.writing && (this.acked >= this.handoff.version || this.handoff.context.siteId === undefined),
    );
  }

  private async loop(): Promise<never> {
    for (;;) {
      // A handoff is recorded once it names its site: a refused first event leaves nothing to keep.
      await condition(() => this.handoff.version > this.acked && this.handoff.context.siteId !== undefined);
      this.writing = true;
      const version = this.handoff.version;
      await this.write(version);
      this.acked = version;
      this.writing = false;
    }
  }

  private async write(version: number): Promise<void> {
    const { audit: _trail, ...status } = this.handoff.status();
    try {
      await recordInLedger({
        handoffId: workflowInfo().workflowId,
        runId: workflowInfo().runId,
        version,
        status,
        startedAt: this.handoff.startedAt,
        endedAt: this.handoff.ended,
        audit: this.handoff
          .auditSince(this.acked)
          .filter(({ seq }) => seq < version)
          .map(({ seq, entry }) => ({ seq, ...entry })),
      });
    } catch (err) {
      // Only a write the ledger refused ends here (outages are retried without end): skip it, say so, go on.
      if (!(err instanceof ActivityFailure)) throw err;
      log.error('The ledger refused a handoff write', { version, error: err.cause?.message ?? err.message });
    }
  }
}
