// The overview from the ledger: the acceptance funnel, time to accept and handoffs started per week, as charts
// (Chart.js, drawn by overview.js from a JSON block) and as tables with the same numbers.
import type { LedgerOverview } from '../../ledger';
import type { NotificationEndpointsHealth } from '../../notify/delivery-views';
import { Layout, type PageFrame } from './layout';
import { EndpointHealthSection } from './notifications';

/** JSON inside a script element: `<` escaped, so no text can close the element. */
const jsonForScript = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

export function OverviewPage(props: {
  frame: PageFrame;
  overview: LedgerOverview;
  /** Each notification endpoint's health now (not over the range). */
  endpoints: NotificationEndpointsHealth;
  from: string;
  to: string;
}) {
  const { funnel, timeToAccept, startedPerWeek } = props.overview;
  const steps = [
    { label: 'Invited', count: funnel.invited },
    { label: 'Reminded', count: funnel.reminded },
    { label: 'Accepted', count: funnel.accepted },
    { label: 'Expired', count: funnel.expired },
    { label: 'Revoked', count: funnel.revoked },
  ];
  const median = timeToAccept.medianHours;
  return (
    <Layout
      frame={props.frame}
      title="Overview"
      scripts={['/console/assets/vendor/chart.umd.min.js', '/console/assets/overview.js']}
    >
      <h1>Overview</h1>
      <form method="get" action="/console/overview" class="filters" aria-label="Date range">
        <label>
          Started from
          <input type="date" name="from" value={props.from} />
        </label>
        <label>
          to (inclusive)
          <input type="date" name="to" value={props.to} />
        </label>
        <button type="submit">Show</button>
      </form>
      <p>
        {funnel.started} handoffs started in this range; {funnel.open} still running, {funnel.failed} failed.
        {median !== null && ` Median time to accept: ${formatHours(median)}.`}
      </p>
      <script
        type="application/json"
        id="overview-data"
        dangerouslySetInnerHTML={{ __html: jsonForScript({ steps, timeToAccept, startedPerWeek }) }}
      ></script>
      <EndpointHealthSection health={props.endpoints} />
      <section class="chart" aria-labelledby="funnel-heading">
        <h2 id="funnel-heading">Acceptance funnel</h2>
        <canvas
          id="funnel-chart"
          role="img"
          aria-label="Acceptance funnel chart; the table below has its numbers"
        ></canvas>
        <table>
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Handoffs</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((s) => (
              <tr>
                <td>{s.label}</td>
                <td data-step={s.label}>{s.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="chart" aria-labelledby="tta-heading">
        <h2 id="tta-heading">Time to accept</h2>
        <canvas
          id="tta-chart"
          role="img"
          aria-label="Time to accept chart; the table below has its numbers"
        ></canvas>
        <table>
          <thead>
            <tr>
              <th scope="col">Accepted within</th>
              <th scope="col">Handoffs</th>
            </tr>
          </thead>
          <tbody>
            {timeToAccept.buckets.map((b) => (
              <tr>
                <td>{b.label}</td>
                <td>{b.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="chart" aria-labelledby="weeks-heading">
        <h2 id="weeks-heading">Handoffs started per week</h2>
        <canvas
          id="weeks-chart"
          role="img"
          aria-label="Handoffs started per week chart; the table below has its numbers"
        ></canvas>
        <table>
          <thead>
            <tr>
              <th scope="col">Week of (Monday, UTC)</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {startedPerWeek.map((w) => (
              <tr>
                <td>{w.week}</td>
                <td>{w.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </Layout>
  );
}

function formatHours(hours: number): string {
  return hours < 48 ? `${hours.toFixed(1)} hours` : `${(hours / 24).toFixed(1)} days`;
}
