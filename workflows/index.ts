export { customerHandoff } from './customer-handoff';
export { removeContributor } from './remove-contributor';
export { reconcileLedger } from './reconcile-ledger';
export { bulkChangeHandoffs } from './bulk-change';
export { deliverNotification } from './deliver-notification';
