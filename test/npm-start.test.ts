// `npm start` as a new user runs it: embedded dev server, sandbox Wix, workers and API; then SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const SITE = '0f8fad5b-d9cb-469f-a165-70867728950e';
// Ports away from the defaults, so a developer's own `npm start` is not disturbed.
const PORTS = { api: 18080, temporal: 17233, ui: 18233, wix: 18787 };

test('npm start serves a handoff on embedded defaults and stops cleanly on SIGTERM', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'site-handoff-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HANDOFF_API_PORT: String(PORTS.api),
    TEMPORAL_DEV_PORT: String(PORTS.temporal),
    TEMPORAL_UI_PORT: String(PORTS.ui),
    WIX_SIMULATOR_PORT: String(PORTS.wix),
    HANDOFF_DATA_DIR: dataDir,
  };
  for (const name of ['TEMPORAL_ADDRESS', 'WIX_API_KEY', 'HANDOFF_API_TOKEN', 'HANDOFF_WEBHOOK_SECRET'])
    delete env[name];
  const child = spawn('npm', ['start'], { cwd: path.resolve(__dirname, '..'), env, detached: true });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // 'close' waits for every process writing to the pipes, not only npm itself.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    const deadline = Date.now() + 90_000;
    while (!output.includes('site-handoff is running')) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`npm start did not come up:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toMatch(/SANDBOX/);
    expect(output).toContain(`http://127.0.0.1:${PORTS.ui}`);

    const api = `http://127.0.0.1:${PORTS.api}`;
    const started = await fetch(`${api}/v1/events/project-completed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        projectId: 'PRJ-7',
        siteId: SITE,
        customerEmails: ['owner@customer.example'],
        role: 'Website Manager',
      }),
    });
    expect(started.status).toBe(202);
    let state = '';
    while (state !== 'pending' && Date.now() < deadline) {
      const status = await fetch(`${api}/v1/handoffs/${SITE}`);
      state = status.ok ? ((await status.json()) as { state: string }).state : '';
    }
    expect(state).toBe('pending');
    const outbox = (await (await fetch(`http://127.0.0.1:${PORTS.wix}/_simulator/outbox`)).json()) as {
      outbox: { to: string }[];
    };
    expect(outbox.outbox.map((m) => m.to)).toEqual(['owner@customer.example']);
  } finally {
    // npm runs the service as a child: signal the whole process group, as a terminal's Ctrl-C would.
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
  expect(output).toContain('site-handoff stopped');
}, 150_000);
