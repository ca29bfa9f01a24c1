// The handoff ledger's public surface: open it, write handoffs, read, export and erase; the notification log.
export { openLedger, Ledger, type OpenLedgerOptions } from './ledger';
export type { LedgerConnectionOptions } from './connect';
export { ErasureRefused, InvalidLedgerInput } from './errors';
export { CSV_COLUMNS, csvField, csvLine, toCsvLines, toJsonLines } from './export-format';
export { LEDGER_MIGRATIONS, ledgerMigrator, migrateLedgerToLatest } from './migrations';
export { LEDGER_METADATA_TABLES, LEDGER_TABLES } from './schema';
export {
  auditEntriesBefore,
  deliveriesOf,
  endpointHealth,
  notificationSource,
  recordDeliveryAttempt,
  type DeliveryAttempt,
  type DeliveryAttemptWrite,
  type DeliveryLog,
} from './deliveries';
export * from './types';
