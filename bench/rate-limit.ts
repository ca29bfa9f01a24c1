// Rate-limit pacing: many handoffs at once against the simulator limited to 200 calls per minute, the minute
// time-scaled so the run is short. The workers must keep every window at or under the limit (no 429) and drain the
// backlog about as fast as the limit allows.
import { completeProject } from '../src/handoff-client';
import { ONE_PARTITION_ARGS } from '../src/dev-server';
import { HandoffWorkers } from '../src/handoff-worker';
import { peakInWindow } from '../test/reliability/window-peak';
import { benchLedger, handoffBundle, inBatches, startDevServer, startSandbox, until } from './support';

export interface RateLimitResult {
  invites: number;
  /** Wix's limit per window; the window is a minute divided by `timeScale`. */
  limit: number;
  windowMs: number;
  timeScale: number;
  wixCalls: number;
  rejected429: number;
  peakPerWindow: number;
  drainMs: number;
  idealDrainMs: number;
  /** drainMs / idealDrainMs: 1.0 is every window used to the limit. */
  drainRatio: number;
}

const WIX_LIMIT_PER_MINUTE = 200;

export async function measureRateLimit({
  invites,
  timeScale,
}: {
  invites: number;
  timeScale: number;
}): Promise<RateLimitResult> {
  const windowMs = 60_000 / timeScale;
  // As `npm start` runs it: one partition, so the server's limit is applied whole (docs/performance.md).
  const env = await startDevServer(ONE_PARTITION_ARGS);
  const { sim, accountId, wix } = await startSandbox({
    rateLimitPerMinute: WIX_LIMIT_PER_MINUTE,
    rateLimitWindowMs: windowMs,
  });
  try {
    const workers = await HandoffWorkers.create({
      connection: env.nativeConnection,
      taskQueue: 'bench-rate-limit',
      wix,
      // What an operator sets (WIX_RATE_LIMIT_PER_MINUTE), in scaled minutes.
      wixCallsPerMinute: WIX_LIMIT_PER_MINUTE * timeScale,
      ledger: await benchLedger(),
      workflowBundle: await handoffBundle(),
    });
    const sites = Array.from({ length: invites }, () => sim.addSite({ ownerAccountId: accountId }));
    await workers.runUntil(async () => {
      await inBatches(sites, 50, async (siteId) => {
        await completeProject(
          env.client,
          {
            projectId: 'PRJ-R',
            siteId,
            customerEmails: [`c-${siteId}@bench.example`],
            role: 'Admin (Co-Owner)',
          },
          { taskQueue: 'bench-rate-limit' },
        );
      });
      await until(() => sim.outbox().length >= invites, 'every invite');
    });
    const calls = sim.calls();
    const times = calls.map((c) => c.at);
    const drainMs = Math.max(...times) - Math.min(...times);
    // At exactly the limit, n calls span (n - 1) intervals of windowMs / limit.
    const idealDrainMs = ((calls.length - 1) * windowMs) / WIX_LIMIT_PER_MINUTE;
    const result: RateLimitResult = {
      invites,
      limit: WIX_LIMIT_PER_MINUTE,
      windowMs,
      timeScale,
      wixCalls: calls.length,
      rejected429: calls.filter((c) => c.status === 429).length,
      peakPerWindow: peakInWindow(times, windowMs),
      drainMs,
      idealDrainMs,
      drainRatio: drainMs / idealDrainMs,
    };
    console.log(
      `  rate limit: ${result.wixCalls} Wix calls for ${invites} invites, peak ${result.peakPerWindow} per ` +
        `${windowMs} ms window (limit ${WIX_LIMIT_PER_MINUTE}), ${result.rejected429} × 429, drained in ` +
        `${(drainMs / 1000).toFixed(1)} s (ideal ${(idealDrainMs / 1000).toFixed(1)} s)`,
    );
    return result;
  } finally {
    await sim.close();
    await env.teardown();
  }
}
