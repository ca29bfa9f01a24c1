// A real ledger for tests that are not about it: PGlite in memory, one per test file, closed after the file.
import { openLedger, type Ledger } from '../../src/ledger';

let ledger: Promise<Ledger> | undefined;

// Registered when a test file imports this module, so the file's own afterAll closes what it opened.
afterAll(async () => {
  await (await ledger)?.close();
  ledger = undefined;
});

export function testLedger(): Promise<Ledger> {
  ledger ??= openLedger({ dataDir: 'memory://' });
  return ledger;
}
