// The ledger write the workflow makes after each change: idempotent, so a retry or a replay writes nothing twice.
// Run as a local activity first, and as a regular one when that attempt fails (workflows/ledger-sync.ts).
import { ApplicationFailure } from '@temporalio/activity';
import { InvalidLedgerInput, type Ledger, type LedgerWrite } from '../src/ledger';
import { LEDGER_WRITE_REFUSED } from '../workflows/ledger-sync';

export { LEDGER_WRITE_REFUSED };

export function createLedgerActivities({ ledger }: { ledger: Pick<Ledger, 'record'> }) {
  return {
    async recordInLedger(write: LedgerWrite): Promise<void> {
      try {
        await ledger.record(write);
      } catch (err) {
        // A write the ledger refuses would be refused forever; anything else (the database is away) is retried.
        if (err instanceof InvalidLedgerInput)
          throw ApplicationFailure.nonRetryable(err.message, LEDGER_WRITE_REFUSED);
        throw err;
      }
    },
  };
}

export type LedgerActivities = ReturnType<typeof createLedgerActivities>;
