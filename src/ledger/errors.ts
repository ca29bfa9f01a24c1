// Typed failures callers map to answers (the API to 409/400, the CLI to a message).

/** Erasure waits until every handoff holding the address has ended: a running one still needs it to invite. */
export class ErasureRefused extends Error {
  override readonly name = 'ErasureRefused';
  constructor(readonly runningHandoffIds: string[]) {
    super(`erasure refused: handoffs still running for this address: ${runningHandoffIds.join(', ')}`);
  }
}

/** A write or query the ledger cannot take as given. */
export class InvalidLedgerInput extends Error {
  override readonly name = 'InvalidLedgerInput';
}
