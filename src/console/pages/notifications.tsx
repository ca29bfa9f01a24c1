// Notifications on the console: a handoff's delivery log (per endpoint and event), the redeliver confirmation, and
// each endpoint's health for the overview. Every value is text (Preact escapes it); the redeliver is a CSRF form.
import {
  attemptResult,
  deliveriesByEndpoint,
  type DeliveryWithState,
  type EndpointHealthView,
  type HandoffDeliveries,
} from '../../notify/delivery-views';
import { CsrfField, Layout, Notice, Time, type PageFrame } from './layout';
import { handoffHref } from './handoff-list';

export const deliveryHref = (handoffId: string, deliveryId: string): string =>
  `${handoffHref(handoffId)}/deliveries/${encodeURIComponent(deliveryId)}/redeliver`;

const STATE_LABELS: Record<DeliveryWithState['state'], string> = {
  delivered: 'delivered',
  failing: 'failing (retrying)',
  'given up': 'given up',
  'not attempted': 'not attempted yet',
};

function DeliveryBadge(props: { state: DeliveryWithState['state'] }) {
  return <span class={`state delivery-${props.state.replace(' ', '-')}`}>{STATE_LABELS[props.state]}</span>;
}

/** How to turn notifications on, naming the variables src/notify/config.ts reads. */
export function NotConfigured(props: { what: string }) {
  return (
    <div class="not-configured">
      <p>
        Notifications are not configured on this service: {props.what}. To tell your systems as handoffs move,
        set <code>HANDOFF_NOTIFY_WEBHOOK_URL</code> (an https URL; http only on loopback) and{' '}
        <code>HANDOFF_NOTIFY_WEBHOOK_SECRET</code> (<code>whsec_</code> followed by base64 of 24 or more
        random bytes) for a Standard Webhooks endpoint, <code>HANDOFF_NOTIFY_SLACK_URL</code> for a Slack
        incoming webhook, or <code>HANDOFF_NOTIFY_CONFIG</code> for a JSON file of endpoints, and restart the
        service.
      </p>
    </div>
  );
}

/** The handoff's deliveries, one table per endpoint; each with a redeliver link (to its confirmation page). */
export function NotificationsPanel(props: {
  handoffId: string;
  /** Whether this service has notification endpoints configured. */
  configured: boolean;
  /** Undefined while the ledger has no record of the handoff. */
  deliveries: HandoffDeliveries | undefined;
}) {
  const { configured } = props;
  const deliveries = props.deliveries?.deliveries ?? [];
  const groups = props.deliveries ? deliveriesByEndpoint(props.deliveries) : [];
  return (
    <section class="notifications" aria-labelledby="notifications-heading">
      <h2 id="notifications-heading">Notifications</h2>
      {!configured && (
        <NotConfigured
          what={deliveries.length ? 'the log below is what was delivered before' : 'no endpoint is told'}
        />
      )}
      {configured && deliveries.length === 0 && (
        <p class="none">
          No notification for this handoff yet: its events are sent once the ledger records them.
        </p>
      )}
      {groups.map(({ name, kind, configured: here, rows }) => {
        return (
          <table class="deliveries" data-endpoint={name}>
            <caption>
              Endpoint <strong>{name}</strong> ({kind}): {rows.filter((d) => d.delivered).length} of{' '}
              {rows.length} delivered
            </caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Webhook-id</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last result</th>
                <th scope="col">State</th>
                <th scope="col">Last attempt</th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr data-delivery={d.deliveryId} data-type={d.type}>
                  <td>{d.type}</td>
                  <td class="mono">{d.deliveryId}</td>
                  <td class="attempts">
                    {d.attempts}
                    {d.series > 1 && <span class="hint"> in {d.series} series</span>}
                  </td>
                  <td class="result">{d.attempts ? attemptResult(d.lastStatus, d.lastError) : '—'}</td>
                  <td>
                    <DeliveryBadge state={d.state} />
                  </td>
                  <td>
                    <Time at={d.lastAttemptAt} empty="not yet" />
                  </td>
                  <td>
                    {configured && here && (
                      <a class="button small" href={deliveryHref(props.handoffId, d.deliveryId)}>
                        Redeliver
                        <span class="visually-hidden">
                          {' '}
                          {d.type} to {name}
                        </span>
                        …
                      </a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      })}
    </section>
  );
}

/** The redeliver confirmation: what will be sent again, to whom, with which webhook-id; the refusal if refused. */
export function RedeliverPage(props: {
  frame: PageFrame;
  handoffId: string;
  delivery: DeliveryWithState;
  configured: boolean;
  refused?: string;
}) {
  const { handoffId, delivery: d } = props;
  const back = handoffHref(handoffId);
  return (
    <Layout frame={props.frame} title={`Redeliver ${d.type} · ${handoffId}`}>
      <p class="crumbs">
        <a href="/">Handoffs</a> › <a href={back}>{handoffId}</a> › Redeliver
      </p>
      <h1>
        Redeliver {d.type} to {d.endpoint}
      </h1>
      {props.refused && <Notice kind="refused">{props.refused}</Notice>}
      <form method="post" action={deliveryHref(handoffId, d.deliveryId)} class="card narrow">
        <CsrfField token={props.frame.csrfToken} />
        <p>
          Sends this event to the endpoint again, as a new series of attempts (retried as the first one was)
          with the same webhook-id, so a receiver that already has it can tell the copy from a new event. The
          event is rebuilt from the ledger.
        </p>
        <dl class="facts">
          <dt>Event</dt>
          <dd>{d.type}</dd>
          <dt>Endpoint</dt>
          <dd>{d.endpoint}</dd>
          <dt>Webhook-id</dt>
          <dd class="mono">{d.deliveryId}</dd>
          <dt>Attempts so far</dt>
          <dd>
            {d.attempts}
            {d.series > 1 ? ` in ${d.series} series` : ''}
          </dd>
          <dt>Last result</dt>
          <dd>{d.attempts ? attemptResult(d.lastStatus, d.lastError) : '—'}</dd>
          <dt>State</dt>
          <dd>
            <DeliveryBadge state={d.state} />
          </dd>
          <dt>Last attempt</dt>
          <dd>
            <Time at={d.lastAttemptAt} empty="not yet" />
          </dd>
        </dl>
        {props.configured ? (
          <div class="buttons">
            <button type="submit">Confirm: redeliver</button>
            <a href={back}>Cancel</a>
          </div>
        ) : (
          <>
            <NotConfigured what="nothing can be sent again from here" />
            <a href={back}>Back to the handoff</a>
          </>
        )}
      </form>
    </Layout>
  );
}

const HEALTH_LABELS: Record<EndpointHealthView['status'], string> = {
  failing: 'failing',
  degraded: 'degraded',
  healthy: 'healthy',
  'no attempts': 'no attempts yet',
};

/** The overview's section: each endpoint's health from the delivery log, failing ones linked to a handoff. */
export function EndpointHealthSection(props: {
  health: { configured: boolean; windowHours: number; endpoints: EndpointHealthView[] };
}) {
  const { endpoints, windowHours } = props.health;
  return (
    <section class="endpoint-health" aria-labelledby="endpoints-heading">
      <h2 id="endpoints-heading">Notification endpoints</h2>
      <p class="hint">
        Now, whatever the range above, from the delivery log. <strong>Failing</strong>: its latest attempt
        failed and no attempt succeeded in the last {windowHours} hours (or ever). <strong>Degraded</strong>:
        its latest attempt failed, but one succeeded within {windowHours} hours. <strong>Healthy</strong>: its
        latest attempt succeeded.
      </p>
      {!props.health.configured && <NotConfigured what="no endpoint is told as handoffs move" />}
      {endpoints.length > 0 && (
        <table class="endpoints">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Health</th>
              <th scope="col">Last success</th>
              <th scope="col">Failed attempts ({windowHours} h)</th>
              <th scope="col">Attempts ({windowHours} h)</th>
              <th scope="col">Latest failure</th>
              <th scope="col">A handoff affected</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr data-endpoint={e.endpoint}>
                <td>
                  <strong>{e.endpoint}</strong> <span class="hint">({e.kind ?? 'not configured here'})</span>
                </td>
                <td>
                  <span class={`state health-${e.status.replace(' ', '-')}`}>{HEALTH_LABELS[e.status]}</span>
                </td>
                <td>
                  <Time at={e.lastDeliveredAt} empty={e.lastAttemptAt ? 'never' : '—'} />
                </td>
                <td class="count">{e.failed}</td>
                <td class="count">{e.attempts}</td>
                <td>
                  {e.lastFailure ? (
                    <>
                      <Time at={e.lastFailure.at} />:{' '}
                      {attemptResult(e.lastFailure.statusCode, e.lastFailure.error)}
                    </>
                  ) : (
                    <span class="none">none in {windowHours} h</span>
                  )}
                </td>
                <td>
                  {e.lastFailure ? (
                    <>
                      <a href={handoffHref(e.lastFailure.handoffId)}>{e.lastFailure.handoffId}</a>
                      {e.failedHandoffs > 1 && (
                        <span class="hint">
                          {' '}
                          and {e.failedHandoffs - 1} more in {windowHours} h
                        </span>
                      )}
                    </>
                  ) : (
                    <span class="none">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
