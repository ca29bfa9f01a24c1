// Keeps the handoff's record in the ledger (the database that outlives Temporal's retention): after every change,
// one write at a time and in order, retried until the database answers. The handoff never waits for it.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  TemporalFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { LedgerActivities } from '../activities/ledger';
import type { Handoff } from './handoff';

/** The failure type of a write the ledger refuses (it would refuse it forever): thrown by `recordInLedger`. */
export const LEDGER_WRITE_REFUSED = 'LedgerWriteRefused';

type LedgerWrite = Parameters<LedgerActivities['recordInLedger']>[0];

/** A ledger outage is waited out: retried without end, backing off to a minute, never failing the handoff. */
const { recordInLedger } = proxyActivities<LedgerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * The usual write: one marker event, in the workflow task that made the change. One short attempt only, because
 * a workflow task waits for its local activities (signals, updates and Wix calls with it, 8 s per task measured);
 * if it fails, the regular activity above takes over and the server retries that without holding anything up.
 */
const local = proxyLocalActivities<LedgerActivities>({
  startToCloseTimeout: '5 seconds',
  retry: { maximumAttempts: 1 },
});

export class LedgerSync {
  private acked: number;
  private writing = false;
  /**
   * Decided once per run, when the run begins. Runs begun with local writes (`ledger-writes-local`) keep them; runs
   * begun since write through the regular activity again: during a local activity the server sees no pending
   * work, so Temporal's time-skipping test server jumped years ahead and then stalled, and the tests could not
   * be trusted. Older runs with regular writes keep those.
   */
  private readonly writeLocally = !patched('ledger-writes-activity') && patched('ledger-writes-local');

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
    const { workflowId, runId } = workflowInfo();
    const write: LedgerWrite = {
      handoffId: workflowId,
      runId,
      version,
      status,
      startedAt: this.handoff.startedAt,
      endedAt: this.handoff.ended,
      audit: this.handoff
        .auditSince(this.acked)
        .filter(({ seq }) => seq < version)
        .map(({ seq, entry }) => ({ seq, ...entry })),
    };
    try {
      await this.send(write);
    } catch (err) {
      // Only a write the ledger refused ends here (outages are retried without end): skip it, say so, go on.
      if (!(err instanceof ActivityFailure) && !isRefusal(err)) throw err;
      log.error('The ledger refused a handoff write', { version, error: err.cause?.message ?? err.message });
    }
  }

  private async send(write: LedgerWrite): Promise<void> {
    if (!this.writeLocally) return recordInLedger(write);
    try {
      await local.recordInLedger(write);
    } catch (err) {
      // A local activity's failure comes unwrapped (the activity's own error, or a timeout), not as ActivityFailure.
      if (!(err instanceof TemporalFailure) || isRefusal(err)) throw err;
      // The database is away or slow: the retried regular activity waits it out (idempotent, so never twice).
      await recordInLedger(write);
    }
  }
}

/** The activity's refusal, bare (a local activity) or wrapped (a regular one). */
function isRefusal(err: unknown): err is TemporalFailure {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === LEDGER_WRITE_REFUSED;
}
