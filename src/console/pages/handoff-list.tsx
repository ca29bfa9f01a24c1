// Every handoff from the ledger: counts per state, filters, search, sort, keyset pages; refreshed live by htmx.
import type { LedgerSummary } from '../../ledger';
import { Layout, StateBadge, Time, type PageFrame } from './layout';

export interface ListQuery {
  state?: string;
  needsStaff?: boolean;
  email?: string;
  siteId?: string;
  projectId?: string;
  sort: 'started' | 'lastActivity';
  cursor?: string;
}

export interface HandoffListView {
  query: ListQuery;
  counts: { state: string; label: string; count: number }[];
  total: number;
  needingStaff: number;
  items: LedgerSummary[];
  nextCursor?: string;
  pollSeconds: number;
}

/** The list's URL for a query: the same page, so links, paging and the live refresh agree. */
export function listHref(query: Partial<ListQuery>, path = '/'): string {
  const params = new URLSearchParams();
  if (query.state) params.set('state', query.state);
  if (query.needsStaff) params.set('needsStaff', '1');
  if (query.email) params.set('email', query.email);
  if (query.siteId) params.set('siteId', query.siteId);
  if (query.projectId) params.set('projectId', query.projectId);
  if (query.sort && query.sort !== 'started') params.set('sort', query.sort);
  if (query.cursor) params.set('cursor', query.cursor);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export const handoffHref = (handoffId: string): string =>
  `/console/handoffs/${encodeURIComponent(handoffId)}`;

export function HandoffListPage(props: { frame: PageFrame; view: HandoffListView }) {
  const { view } = props;
  const { query } = view;
  const search = { ...query, cursor: undefined, state: undefined, needsStaff: undefined };
  return (
    <Layout frame={props.frame} title="Handoffs">
      <h1>Handoffs</h1>
      <form method="get" action="/" role="search" class="filters" aria-label="Search handoffs">
        {query.state && <input type="hidden" name="state" value={query.state} />}
        {query.needsStaff && <input type="hidden" name="needsStaff" value="1" />}
        <label>
          Customer email
          <input type="search" name="email" value={query.email ?? ''} autocomplete="off" />
        </label>
        <label>
          Site id
          <input type="search" name="siteId" value={query.siteId ?? ''} autocomplete="off" />
        </label>
        <label>
          Project id
          <input type="search" name="projectId" value={query.projectId ?? ''} autocomplete="off" />
        </label>
        <label>
          Sort by
          <select name="sort">
            <option value="started" selected={query.sort === 'started'}>
              Started (newest first)
            </option>
            <option value="lastActivity" selected={query.sort === 'lastActivity'}>
              Last activity (newest first)
            </option>
          </select>
        </label>
        <button type="submit">Search</button>
        <a href="/">Clear</a>
      </form>
      <div
        id="live"
        hx-get={listHref(query)}
        hx-trigger={`every ${view.pollSeconds}s`}
        hx-select="#live"
        hx-swap="outerHTML"
      >
        <nav aria-label="Filter by state" class="tabs">
          <ul>
            <li>
              <a
                href={listHref(search)}
                aria-current={!query.state && !query.needsStaff ? 'true' : undefined}
              >
                All <span class="count">{view.total}</span>
              </a>
            </li>
            <li>
              <a
                href={listHref({ ...search, needsStaff: true })}
                aria-current={query.needsStaff ? 'true' : undefined}
              >
                Needs staff <span class="count">{view.needingStaff}</span>
              </a>
            </li>
            {view.counts.map((c) => (
              <li>
                <a
                  href={listHref({ ...search, state: c.state })}
                  aria-current={query.state === c.state ? 'true' : undefined}
                >
                  {c.label} <span class="count">{c.count}</span>
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <table class="handoffs">
          <caption>
            {view.items.length === 0
              ? 'No handoffs match.'
              : `${view.items.length} handoff${view.items.length === 1 ? '' : 's'} on this page`}
          </caption>
          <thead>
            <tr>
              <th scope="col">Site</th>
              <th scope="col">Project</th>
              <th scope="col">Customers</th>
              <th scope="col">State</th>
              <th scope="col">Started</th>
              <th scope="col">Last activity</th>
              <th scope="col">Next reminder</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {view.items.map((h) => (
              <tr data-handoff={h.handoffId}>
                <td>
                  <a href={handoffHref(h.handoffId)}>{h.siteId ?? h.handoffId}</a>
                </td>
                <td>{h.projectId ?? '—'}</td>
                <td>{h.inviteeEmails.join(', ')}</td>
                <td>
                  <StateBadge state={h.state} />
                  {h.needsStaff && <span class="flag"> needs staff</span>}
                </td>
                <td>
                  <Time at={h.startedAt} />
                </td>
                <td>
                  <Time at={h.lastActivityAt} />
                </td>
                <td>
                  <Time at={h.nextReminderAt} />
                </td>
                <td>
                  <Time at={h.expiresAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <nav aria-label="Pages" class="pages">
          {query.cursor && <a href={listHref({ ...query, cursor: undefined })}>First page</a>}
          {view.nextCursor && (
            <a href={listHref({ ...query, cursor: view.nextCursor })} rel="next">
              Next page
            </a>
          )}
        </nav>
      </div>
      <p class="exports">
        <a href={listHref({ ...query, cursor: undefined }, '/console/export')}>Export these handoffs…</a>
      </p>
    </Layout>
  );
}
