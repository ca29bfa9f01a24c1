// `npm start` as a child process on its own ports and data directory: the real stack, as a newcomer runs it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ServicePorts {
  api: number;
  temporal: number;
  ui: number;
  wix: number;
}

export interface RunningService {
  ports: ServicePorts;
  api: string;
  simulator: string;
  output: () => string;
  /** SIGTERM to the process group, as Ctrl-C would; resolves once every process has exited. */
  stop: () => Promise<void>;
}

export async function startService(
  ports: ServicePorts,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<RunningService> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'site-handoff-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HANDOFF_API_PORT: String(ports.api),
    TEMPORAL_DEV_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    WIX_SIMULATOR_PORT: String(ports.wix),
    HANDOFF_DATA_DIR: dataDir,
    ...extraEnv,
  };
  for (const name of ['TEMPORAL_ADDRESS', 'WIX_API_KEY', 'HANDOFF_WEBHOOK_SECRET', 'HANDOFF_DATABASE_URL'])
    if (!(name in extraEnv)) delete env[name];
  const child: ChildProcessWithoutNullStreams = spawn('npm', ['start'], {
    cwd: path.resolve(__dirname, '../..'),
    env,
    detached: true,
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  // 'close' waits for every process writing to the pipes, not only npm itself.
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const stop = async (): Promise<void> => {
    if (child.pid && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 90_000;
  while (!output.includes('site-handoff is running')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    ports,
    api: `http://127.0.0.1:${ports.api}`,
    simulator: `http://127.0.0.1:${ports.wix}/_simulator`,
    output: () => output,
    stop,
  };
}
