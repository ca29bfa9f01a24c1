// `npm run bench [-- --quick|--smoke] [--only=throughput,memory,replay,rate-limit,lifecycles,console,notify,acceptance] [--out=file.json]`: site-handoff beside bare
// Temporal baselines measured in the same run, on the pinned servers; rounds interleaved, medians reported as
// ratios (the machine is shared; absolute times vary). Writes bench/results.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { temporalBinaryPath } from '../src/temporal-binaries';
import { measureAcceptance, measureHint } from './acceptance';
import { measureConsole, CONSOLE_PAGES, type ConsoleBackend } from './console';
import { runLifecycles } from './lifecycles';
import { measureMemory } from './memory';
import { measureNotify } from './notify';
import { measureRateLimit } from './rate-limit';
import { measureReplay } from './replay';
import { measureThroughput } from './throughput';

const BENCHMARKS = [
  'throughput',
  'memory',
  'replay',
  'rate-limit',
  'lifecycles',
  'console',
  'notify',
  'acceptance',
] as const;
type Benchmark = (typeof BENCHMARKS)[number];

const SIZES = {
  full: {
    throughput: { n: 400, rounds: 5 },
    memory: { counts: [1_000, 5_000, 10_000] },
    replay: { copies: 50, rounds: 5 },
    rateLimit: { invites: 600, timeScale: 2 },
    lifecycles: { count: 1_000, batchSize: 20, plainEvery: 5 },
    console: {
      handoffs: 100_000,
      baseline: 1_000,
      requests: 60,
      warmup: 10,
      renders: 15,
      backends: ['pglite', 'postgres'] as ConsoleBackend[],
    },
    notify: {
      latency: { handoffs: 100, inFlight: 4 },
      burst: {
        handoffs: 100,
        eventsPerHandoff: 10,
        concurrency: 50,
        rounds: 3,
        retryWindowMs: 25_000,
        hangingCapMs: 300_000,
        handoffsBeside: 10,
      },
    },
    // Both arms on the same people, 25 per time-skipping server, 3 servers at once (issue 15: ≥ 500 per arm).
    acceptance: { perArm: 1_000, batchSize: 25, parallel: 3, hint: { handoffs: 50 } },
  },
  quick: {
    throughput: { n: 60, rounds: 5 },
    memory: { counts: [200, 400] },
    replay: { copies: 10, rounds: 5 },
    rateLimit: { invites: 100, timeScale: 3 },
    lifecycles: { count: 5, batchSize: 5, plainEvery: 1 },
    console: {
      handoffs: 10_000,
      baseline: 1_000,
      requests: 20,
      warmup: 3,
      renders: 5,
      backends: ['pglite'] as ConsoleBackend[],
    },
    notify: {
      latency: { handoffs: 30, inFlight: 4 },
      burst: {
        handoffs: 20,
        eventsPerHandoff: 10,
        concurrency: 50,
        rounds: 1,
        retryWindowMs: 6_000,
        hangingCapMs: 60_000,
        handoffsBeside: 5,
      },
    },
    // The issue's own size, 500 per arm: the longest quick benchmark (docs/performance.md).
    acceptance: { perArm: 500, batchSize: 25, parallel: 3, hint: { handoffs: 50 } },
  },
  /** CI's smoke pass: every benchmark runs end to end, with counts too small for the figures to mean anything. */
  smoke: {
    throughput: { n: 10, rounds: 1 },
    memory: { counts: [20] },
    replay: { copies: 2, rounds: 1 },
    rateLimit: { invites: 20, timeScale: 3 },
    lifecycles: { count: 2, batchSize: 2, plainEvery: 1 },
    console: {
      handoffs: 200,
      baseline: 20,
      requests: 2,
      warmup: 1,
      renders: 1,
      backends: ['pglite'] as ConsoleBackend[],
    },
    notify: {
      latency: { handoffs: 2, inFlight: 2 },
      burst: {
        handoffs: 2,
        eventsPerHandoff: 3,
        concurrency: 6,
        rounds: 1,
        retryWindowMs: 0,
        hangingCapMs: 30_000,
        handoffsBeside: 1,
      },
    },
    acceptance: { perArm: 1, batchSize: 1, parallel: 1, hint: { handoffs: 1 } },
  },
};

type Size = keyof typeof SIZES;

function parseArgs(argv: string[]): { size: Size; only: Set<Benchmark>; out: string } {
  const size: Size = argv.includes('--smoke') ? 'smoke' : argv.includes('--quick') ? 'quick' : 'full';
  const out =
    argv.find((a) => a.startsWith('--out='))?.slice('--out='.length) ?? path.join(__dirname, 'results.json');
  const onlyArg = argv.find((a) => a.startsWith('--only='));
  const only = onlyArg ? onlyArg.slice('--only='.length).split(',') : [...BENCHMARKS];
  const unknown = only.filter((b) => !(BENCHMARKS as readonly string[]).includes(b));
  if (unknown.length) {
    throw new Error(`Unknown benchmark(s) ${unknown.join(', ')}: choose from ${BENCHMARKS.join(', ')}`);
  }
  return { size, only: new Set(only as Benchmark[]), out };
}

function versions(): Record<string, string> {
  const cli = execFileSync(temporalBinaryPath('cli'), ['--version'], { encoding: 'utf8' }).trim();
  const pkg = (name: string) =>
    (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version;
  return {
    node: process.version,
    temporalCli: cli,
    temporalSdk: pkg('@temporalio/worker'),
    xstate: pkg('xstate'),
  };
}

async function main(): Promise<void> {
  const { size: sizeName, only, out } = parseArgs(process.argv.slice(2));
  const size = structuredClone(SIZES[sizeName]);
  // The full 1,000 lifecycles take about 40 minutes on 2 cores (docs/performance.md); a smaller count can be asked.
  const lifecyclesArg = process.argv.find((a) => a.startsWith('--lifecycles='));
  if (lifecyclesArg) {
    const count = Number(lifecyclesArg.slice('--lifecycles='.length));
    if (!Number.isInteger(count) || count < 1) {
      throw new Error(`--lifecycles must be a whole number of at least 1, got "${lifecyclesArg}"`);
    }
    size.lifecycles.count = count;
  }
  // The console bench on one backend only (`--console-backends=pglite`): the full run fills both.
  const backendsArg = process.argv.find((a) => a.startsWith('--console-backends='));
  if (backendsArg) {
    const backends = backendsArg.slice('--console-backends='.length).split(',');
    const unknown = backends.filter((b) => b !== 'pglite' && b !== 'postgres');
    if (unknown.length)
      throw new Error(`--console-backends: choose pglite and/or postgres, got ${unknown.join(', ')}`);
    size.console.backends = backends as ConsoleBackend[];
  }
  // Lifecycles per arm of the acceptance benchmark (`--acceptance-per-arm=N`).
  const perArmArg = process.argv.find((a) => a.startsWith('--acceptance-per-arm='));
  if (perArmArg) {
    const perArm = Number(perArmArg.slice('--acceptance-per-arm='.length));
    if (!Number.isInteger(perArm) || perArm < 1) {
      throw new Error(`--acceptance-per-arm must be a whole number of at least 1, got "${perArmArg}"`);
    }
    size.acceptance.perArm = perArm;
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const started = performance.now();
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    console.log(`${name}…`);
    const t0 = performance.now();
    const result = await fn();
    console.log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    return result;
  };

  const throughput = only.has('throughput')
    ? await timed('throughput', () => measureThroughput(size.throughput))
    : null;
  const memory = only.has('memory') ? await timed('memory', () => measureMemory(size.memory)) : null;
  const replay = only.has('replay') ? await timed('replay', () => measureReplay(size.replay)) : null;
  const rateLimit = only.has('rate-limit')
    ? await timed('rate-limit', () => measureRateLimit(size.rateLimit))
    : null;
  const lifecycles = only.has('lifecycles')
    ? await timed('lifecycles', () => runLifecycles({ ...size.lifecycles, maxRenewals: 0 }))
    : null;
  const consolePages = only.has('console')
    ? await timed('console', () => measureConsole(size.console))
    : null;
  const notify = only.has('notify') ? await timed('notify', () => measureNotify(size.notify)) : null;
  const acceptance = only.has('acceptance')
    ? await timed('acceptance', async () => {
        const { hint: hintSize, ...arms } = size.acceptance;
        const measured = await measureAcceptance(arms);
        const hint = await measureHint(hintSize);
        return { ...measured, hintDetectionMedianSeconds: hint.detectionMedianSeconds, hint };
      })
    : null;

  const results = {
    machine: {
      cpus: os.cpus().length,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      ...versions(),
    },
    size: sizeName,
    wallSeconds: Math.round((performance.now() - started) / 1000),
    throughput,
    memory,
    replay,
    rateLimit,
    lifecycles: lifecycles && {
      count: lifecycles.handoff.count,
      batchSize: lifecycles.batchSize,
      wallMsPerLifecycle: lifecycles.handoff.wallMsPerLifecycle,
      meanWallMsPerLifecycle: lifecycles.handoff.meanWallMsPerLifecycle,
      perBatchMs: lifecycles.handoff.perBatchMs,
      baselineCount: lifecycles.plain.count,
      baselineWallMsPerLifecycle: lifecycles.plain.wallMsPerLifecycle,
      baselinePerBatchMs: lifecycles.plain.perBatchMs,
      ratio: lifecycles.ratio,
      finalStates: lifecycles.handoff.finalStates,
      stepsPerLifecycle: lifecycles.steps.length,
    },
    console: consolePages,
    notify,
    acceptance,
  };
  const MiB = 2 ** 20;
  const table: Record<string, { 'site-handoff': string; baseline: string; ratio: string; target: string }> =
    {};
  if (throughput) {
    table['throughput (handoffs/s)'] = {
      'site-handoff': throughput.perSecond.toFixed(1),
      baseline: throughput.baselinePerSecond.toFixed(1),
      ratio: throughput.ratio.toFixed(2),
      target: 'ratio ≥ 0.9, ≥ 35/s',
    };
    // The profile rows: the bare workflow reshaped step by step towards site-handoff's path to `pending`.
    for (const [label, perSecond] of [
      ['  bare, its activity on a 2nd queue', throughput.profile.oneActivityOnOtherQueue],
      ['  bare, 2 activities on a 2nd queue', throughput.profile.twoActivitiesOnOtherQueue],
      ['  bare, those 2 making the Wix calls', throughput.profile.twoActivitiesCallingWix],
    ] as const) {
      table[label] = {
        'site-handoff': perSecond.toFixed(1),
        baseline: throughput.baselinePerSecond.toFixed(1),
        ratio: (perSecond / throughput.baselinePerSecond).toFixed(2),
        target: 'profile',
      };
    }
  }
  if (memory) {
    table['memory per parked handoff (MiB)'] = {
      'site-handoff': (memory.bytesPerHandoff / MiB).toFixed(3),
      baseline: (memory.baselineBytesPerWorkflow / MiB).toFixed(3),
      ratio: memory.ratio.toFixed(2),
      target: '≤ 0.5 MB',
    };
  }
  if (replay) {
    table['replay, longest history (ms)'] = {
      'site-handoff': replay.msPerHistory.toFixed(1),
      baseline: replay.baselineMsPerHistory.toFixed(1),
      ratio: replay.ratio.toFixed(2),
      target: 'ratio ≤ 1.5',
    };
  }
  if (rateLimit) {
    table['rate limit: peak per window'] = {
      'site-handoff': String(rateLimit.peakPerWindow),
      baseline: String(rateLimit.limit),
      ratio: (rateLimit.peakPerWindow / rateLimit.limit).toFixed(2),
      target: '≤ limit, no 429',
    };
    table['rate limit: drain (s)'] = {
      'site-handoff': (rateLimit.drainMs / 1000).toFixed(1),
      baseline: (rateLimit.idealDrainMs / 1000).toFixed(1),
      ratio: rateLimit.drainRatio.toFixed(2),
      target: 'ratio ≤ 1.1',
    };
  }
  if (lifecycles) {
    table['time-skipped 30-day lifecycle (ms wall)'] = {
      'site-handoff': lifecycles.handoff.wallMsPerLifecycle.toFixed(1),
      baseline: lifecycles.plain.wallMsPerLifecycle.toFixed(1),
      ratio: lifecycles.ratio.toFixed(2),
      target: 'measured',
    };
  }
  if (consolePages) {
    // The large ledger as the subject, the small one as the baseline: the ratio is how a page scales.
    for (const b of consolePages.backends) {
      for (const [key, p] of Object.entries(b.pages)) {
        const cell = (f: typeof p.large) =>
          `${f.ttfbMedianMs.toFixed(1)}${f.renderedMedianMs === null ? '' : ` / ${f.renderedMedianMs.toFixed(0)}`}`;
        table[
          `console ${b.backend}: ${CONSOLE_PAGES[key as keyof typeof CONSOLE_PAGES]} (ms TTFB / rendered)`
        ] = {
          'site-handoff': cell(p.large),
          baseline: cell(p.small),
          ratio: p.ttfbRatio.toFixed(2),
          target: `${b.handoffs.toLocaleString('en')} vs ${b.baseline.toLocaleString('en')}`,
        };
      }
    }
  }
  if (notify) {
    const ms = (s: { medianMs: number; p95Ms: number }) => `${s.medianMs.toFixed(0)} / ${s.p95Ms.toFixed(0)}`;
    table['notify: event recorded → 1st attempt (ms, median / p95)'] = {
      'site-handoff': ms(notify.latency),
      baseline: ms(notify.throughput.baselineLatency),
      ratio: '',
      target: `${notify.latency.count} events; baseline: a plain POST under load`,
    };
    table['notify: burst, deliveries/s to 1 endpoint'] = {
      'site-handoff': notify.throughput.perSecond.toFixed(1),
      baseline: notify.throughput.baselinePerSecond.toFixed(1),
      ratio: notify.throughput.ratio.toFixed(2),
      target: `${notify.throughput.events} events; baseline: plain signed POSTs`,
    };
    for (const [label, perSecond] of [
      ['notify: healthy endpoint beside a 50 % failing one (/s)', notify.throughput.besideFailingPerSecond],
      ['notify: healthy endpoint beside a hanging one (/s)', notify.hanging.healthyPerSecond],
    ] as const) {
      table[label] = {
        'site-handoff': perSecond.toFixed(1),
        baseline: notify.throughput.twoHealthyPerSecond.toFixed(1),
        ratio: (perSecond / notify.throughput.twoHealthyPerSecond).toFixed(2),
        target: 'baseline: beside a healthy one',
      };
    }
    table['notify: a handoff started mid-burst, to its 2 events (ms)'] = {
      'site-handoff': notify.hanging.handoffsBeside.toEvents.medianMs.toFixed(0),
      baseline: notify.throughput.handoffsBeside.toEvents.medianMs.toFixed(0),
      ratio: (
        notify.hanging.handoffsBeside.toEvents.medianMs / notify.throughput.handoffsBeside.toEvents.medianMs
      ).toFixed(2),
      target: 'beside a hanging endpoint vs two healthy',
    };
  }
  if (acceptance) {
    const a = acceptance;
    table['acceptance: detection median (min)'] = {
      'site-handoff': a.detectionMedianMinutes.toFixed(1),
      baseline: a.baselineDetectionMedianMinutes.toFixed(1),
      ratio: (a.detectionMedianMinutes / a.baselineDetectionMedianMinutes).toFixed(3),
      target: `≤ 15 min; baseline: fixed 6 h poll, ${a.perArm} per arm`,
    };
    table['acceptance: detection p90 (min)'] = {
      'site-handoff': a.detectionP90Minutes.toFixed(1),
      baseline: a.baselineDetectionP90Minutes.toFixed(1),
      ratio: (a.detectionP90Minutes / a.baselineDetectionP90Minutes).toFixed(3),
      target: '≤ 120 min',
    };
    table['acceptance: Wix calls per lifecycle'] = {
      'site-handoff': a.wixCallsPerLifecycle.toFixed(1),
      baseline: a.baselineWixCallsPerLifecycle.toFixed(1),
      ratio: a.callsRatio.toFixed(2),
      target: 'ratio ≤ 0.6',
    };
    for (const outcome of ['accepted', 'expired']) {
      const own = a.wixCallsPerLifecycleByOutcome[outcome];
      const base = a.baselineWixCallsPerLifecycleByOutcome[outcome];
      if (own === undefined || base === undefined) continue;
      table[`acceptance: Wix calls per ${outcome} lifecycle`] = {
        'site-handoff': own.toFixed(1),
        baseline: base.toFixed(1),
        ratio: (own / base).toFixed(2),
        target: 'measured',
      };
    }
    // Steady state (Little's law): 200 calls/min × mean lifecycle minutes ÷ mean calls per lifecycle.
    table['acceptance: open handoffs within 200 calls/min'] = {
      'site-handoff': a.capacityOpenHandoffs.toLocaleString('en'),
      baseline: a.baselineCapacityOpenHandoffs.toLocaleString('en'),
      ratio: (a.capacityOpenHandoffs / a.baselineCapacityOpenHandoffs).toFixed(2),
      target: 'measured; steady state, even starts',
    };
    table['acceptance: handoffs started per day within 200 calls/min'] = {
      'site-handoff': a.capacityStartsPerDay.toLocaleString('en'),
      baseline: a.baselineCapacityStartsPerDay.toLocaleString('en'),
      ratio: (a.capacityStartsPerDay / a.baselineCapacityStartsPerDay).toFixed(2),
      target: 'measured; 288,000 ÷ calls per lifecycle',
    };
    table['acceptance: detection with the push hint (s, median)'] = {
      'site-handoff': a.hint.detectionMedianSeconds.toFixed(2),
      baseline: (a.detectionMedianMinutes * 60).toFixed(0),
      ratio: '',
      target: `${a.hint.handoffs} handoffs, real time; baseline: adaptive, no hint`,
    };
  }
  console.table(table);
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`${path.relative(process.cwd(), out)} written (${results.wallSeconds} s)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
