// toWixFailure on real WixApiErrors (the client against the simulator over HTTP), read back as the workflow reads it.
import { ApplicationFailure, DefaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import { WIX_OUTCOME_UNKNOWN, WIX_REFUSED, WIX_UNAVAILABLE, toWixFailure } from '../activities/wix-failure';
import { WixApiError } from '../src/wix/client/errors';
import { WixClient } from '../src/wix/client/wix-client';
import { SIMULATOR_ROLES, WixSimulator } from '../src/wix/simulator/wix-simulator';

const OWNER = 'owner@customer.example';
const UNKNOWN_INVITE = '0092ff87-6028-41cb-92b5-980d5474abcf';

let sim: WixSimulator;
let wix: WixClient;
let siteId: string;

beforeEach(async () => {
  sim = await WixSimulator.start({ rateLimitPerMinute: 0 });
  const accountId = sim.addAccount();
  const apiKey = sim.addApiKey({ accountId });
  siteId = sim.addSite({ ownerAccountId: accountId });
  wix = new WixClient({ baseUrl: sim.url, apiKey, accountId });
});
afterEach(() => sim.close());

async function wixError(call: () => Promise<unknown>): Promise<WixApiError> {
  try {
    await call();
  } catch (error) {
    if (error instanceof WixApiError) return error;
    throw error;
  }
  throw new Error('expected the Wix call to fail');
}

const invite = () => wix.bulkInvite(siteId, { policyIds: [SIMULATOR_ROLES.adminCoOwner], emails: [OWNER] });

// Through Temporal's own failure converter, as the failure reaches the workflow.
function asWorkflowSeesIt(failure: ApplicationFailure): ApplicationFailure {
  const converter = new DefaultFailureConverter();
  const proto = converter.errorToFailure(failure, defaultPayloadConverter);
  const back = converter.failureToError(proto, defaultPayloadConverter);
  if (!(back instanceof ApplicationFailure)) throw new Error('expected an ApplicationFailure back');
  return back;
}

describe('toWixFailure carries Wix Retry-After', () => {
  test.each([429, 503] as const)(
    'a %i with Retry-After: 7 gives nextRetryDelay 7 s and details[0].retryAfterMs 7000',
    async (status) => {
      sim.injectFault({ count: 1, route: 'bulk', status, retryAfter: 7 });
      const failure = toWixFailure(await wixError(invite), { sendsEmail: true });
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: WIX_UNAVAILABLE, nonRetryable: false });
      expect(failure.nextRetryDelay).toBe(7_000);
      expect(failure.details?.[0]).toEqual({
        kind: status === 429 ? 'rate-limited' : 'unavailable',
        status,
        operation: 'bulkInvite',
        retryAfterMs: 7_000,
      });

      const seen = asWorkflowSeesIt(failure);
      expect(seen.type).toBe(WIX_UNAVAILABLE);
      expect(seen.details?.[0]).toMatchObject({ status, retryAfterMs: 7_000 });
      expect(sim.emailCount(OWNER)).toBe(0);
    },
  );

  test('the proto failure holds the delay as 7 seconds', async () => {
    sim.injectFault({ count: 1, route: 'resend', status: 503, retryAfter: 7 });
    const failure = toWixFailure(await wixError(() => wix.resendInvite(siteId, UNKNOWN_INVITE)), {
      sendsEmail: true,
    });
    const proto = new DefaultFailureConverter().errorToFailure(failure, defaultPayloadConverter);
    const delay = proto.applicationFailureInfo?.nextRetryDelay;
    expect(Number(delay?.seconds ?? 0)).toBe(7);
    expect(delay?.nanos ?? 0).toBe(0);
  });

  test('without Retry-After: a 429 waits the default minute, a 503 leaves the delay to the retry policy', async () => {
    sim.injectFault({ count: 1, route: 'bulk', status: 429 });
    sim.injectFault({ count: 1, route: 'bulk', status: 503 });
    const limited = toWixFailure(await wixError(invite), { sendsEmail: true });
    expect(limited.nextRetryDelay).toBe(60_000);
    expect(limited.details?.[0]).toMatchObject({ retryAfterMs: 60_000 });
    const unavailable = toWixFailure(await wixError(invite), { sendsEmail: true });
    expect(unavailable.nextRetryDelay).toBeUndefined();
    expect(unavailable.details?.[0]).toMatchObject({ status: 503, retryAfterMs: null });
  });

  test('refusals and unknown outcomes carry retryAfterMs null and are not retried', async () => {
    const refused = toWixFailure(await wixError(() => wix.resendInvite(siteId, UNKNOWN_INVITE)), {
      sendsEmail: true,
    });
    expect(refused).toMatchObject({ type: WIX_REFUSED, nonRetryable: true });
    expect(refused.details?.[0]).toEqual({
      kind: 'not-found',
      status: 404,
      operation: 'resendInvite',
      retryAfterMs: null,
    });

    sim.injectFault({ count: 1, route: 'bulk', status: 504 });
    const unknown = toWixFailure(await wixError(invite), { sendsEmail: true });
    expect(unknown).toMatchObject({ type: WIX_OUTCOME_UNKNOWN, nonRetryable: true });
    expect(unknown.details?.[0]).toMatchObject({ status: 504, retryAfterMs: null });
  });
});
