// Export and erasure from the ledger, each behind a confirmation step.
import type { ErasureResult } from '../../ledger';
import { CsrfField, Layout, Notice, type PageFrame } from './layout';

export function ExportPage(props: { frame: PageFrame; count: number; filters: string[]; query: string }) {
  const suffix = props.query ? `&${props.query}` : '';
  return (
    <Layout frame={props.frame} title="Export">
      <p class="crumbs">
        <a href={props.query ? `/?${props.query}` : '/'}>Handoffs</a> › Export
      </p>
      <h1>Export handoffs</h1>
      <p>
        {props.count} handoff{props.count === 1 ? '' : 's'} match
        {props.filters.length ? ` (${props.filters.join(', ')})` : ' (every handoff)'}. The file is streamed
        from the ledger.
      </p>
      <ul class="buttons">
        <li>
          <a class="button" href={`/console/export/download?format=csv${suffix}`} download>
            Download CSV
          </a>
        </li>
        <li>
          <a class="button" href={`/console/export/download?format=jsonl${suffix}`} download>
            Download JSON Lines
          </a>
        </li>
      </ul>
    </Layout>
  );
}

export function ErasePage(props: {
  frame: PageFrame;
  email?: string;
  refused?: string;
  erased?: ErasureResult & { temporalExecutions: number };
}) {
  return (
    <Layout frame={props.frame} title="Erase a customer">
      <h1>Erase a customer's personal data</h1>
      {props.erased && (
        <Notice kind="done">
          Erased: the address is gone from {props.erased.handoffs} handoff(s), {props.erased.invitees} invitee
          row(s) and {props.erased.auditEntries} audit entr{props.erased.auditEntries === 1 ? 'y' : 'ies'};{' '}
          {props.erased.temporalExecutions} ended workflow(s) deleted from Temporal. Counts are kept.
        </Notice>
      )}
      {props.refused && <Notice kind="refused">{props.refused}</Notice>}
      <form method="post" action="/console/erase" class="card narrow">
        <CsrfField token={props.frame.csrfToken} />
        <p>
          Removes or pseudonymizes the address everywhere the ledger holds it and deletes the ended workflows
          from Temporal. Refused while a handoff for the address is still running: revoke it first.
        </p>
        <label for="email">Customer email</label>
        <input id="email" name="email" type="email" required value={props.email ?? ''} autocomplete="off" />
        <label for="confirmEmail">Type the address again to confirm</label>
        <input id="confirmEmail" name="confirmEmail" type="email" required autocomplete="off" />
        <button type="submit" class="danger">
          Erase this customer
        </button>
      </form>
    </Layout>
  );
}
