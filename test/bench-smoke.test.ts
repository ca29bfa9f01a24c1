// CI's smoke pass over `npm run bench`: every benchmark runs end to end and writes the figures the issue names.
// Counts are tiny, so nothing here judges a figure: benchmarks are not timed tests.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface Results {
  size: string;
  throughput: { ratio: number; perSecond: number; profile: Record<string, number> };
  memory: { bytesPerHandoff: number };
  replay: { ratio: number };
  rateLimit: { peakPerWindow: number; limit: number };
  lifecycles: { count: number; finalStates: Record<string, number>; wallMsPerLifecycle: number };
  acceptance: Record<string, number | Record<string, unknown>>;
  console: {
    backends: {
      backend: string;
      pages: Record<string, { large: { ttfbMedianMs: number; renderedMedianMs: number | null } }>;
      explain: { executionMs: number }[];
    }[];
  };
}

test('npm run bench -- --smoke runs every benchmark and writes bench results', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'site-handoff-bench-'));
  const out = path.join(dir, 'results.json');
  try {
    const child = spawn('npm', ['run', 'bench', '--', '--smoke', `--out=${out}`], {
      cwd: path.resolve(__dirname, '..'),
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`npm run bench -- --smoke exited ${code}:\n${output}`);

    const results = JSON.parse(readFileSync(out, 'utf8')) as Results;
    expect(results.size).toBe('smoke');
    const figures = {
      'throughput.ratio': results.throughput.ratio,
      'throughput.perSecond': results.throughput.perSecond,
      'throughput.profile.oneActivityOnOtherQueue': results.throughput.profile.oneActivityOnOtherQueue,
      'replay.ratio': results.replay.ratio,
      'lifecycles.wallMsPerLifecycle': results.lifecycles.wallMsPerLifecycle,
    };
    for (const [name, figure] of Object.entries(figures)) {
      expect([name, Number.isFinite(figure) && figure > 0]).toEqual([name, true]);
    }
    // 20 parked handoffs move RSS by less than its noise, so the figure may be 0 or below; it must exist.
    expect(Number.isFinite(results.memory.bytesPerHandoff)).toBe(true);
    // 20 invites stay far below the limit, so pacing is judged only in the real run; the figures must exist.
    expect(Number.isInteger(results.rateLimit.peakPerWindow) && results.rateLimit.peakPerWindow > 0).toBe(
      true,
    );
    expect(results.rateLimit.limit).toBe(200);
    expect(results.lifecycles.finalStates).toEqual({ expired: 2 });
    // Every console page answered with its content and rendered in Chromium; the queries behind them were explained.
    const [consoleRun] = results.console.backends;
    expect(consoleRun.backend).toBe('pglite');
    for (const [name, page] of Object.entries(consoleRun.pages)) {
      const rendered = name === 'apiList' ? 1 : page.large.renderedMedianMs;
      expect([name, page.large.ttfbMedianMs > 0, Number(rendered) > 0]).toEqual([name, true, true]);
    }
    // Issue 15's figures, both arms and the hint, under the names the issue gives.
    for (const name of [
      'detectionMedianMinutes',
      'detectionP90Minutes',
      'wixCallsPerLifecycle',
      'baselineDetectionMedianMinutes',
      'baselineDetectionP90Minutes',
      'baselineWixCallsPerLifecycle',
      'hintDetectionMedianSeconds',
    ]) {
      const figure = results.acceptance[name];
      expect([name, typeof figure === 'number' && Number.isFinite(figure)]).toEqual([name, true]);
    }
    expect(consoleRun.explain.length).toBeGreaterThan(0);
    expect(consoleRun.explain.every((e) => Number.isFinite(e.executionMs))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);
