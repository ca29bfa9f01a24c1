// The real worker entry point (`src/worker.ts`, what `npm run worker` runs) as a child process, configured only
// through its environment, so tests can kill it with SIGKILL like a crashed machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Harness } from './handoff-harness';
import { TEST_ENCRYPTION_KEYS_ENV } from './temporal';

export interface WorkerProcess {
  process: ChildProcess;
  /** What the worker printed, for failure messages. */
  output: () => string;
}

export function startWorkerProcess(
  temporalAddress: string,
  h: Harness,
  extraEnv: NodeJS.ProcessEnv = {},
): WorkerProcess {
  let output = '';
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/worker.ts'], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      HANDOFF_TASK_QUEUE: h.taskQueue,
      WIX_API_BASE_URL: h.sim.url,
      WIX_API_KEY: h.apiKey,
      WIX_ACCOUNT_ID: h.accountId,
      WIX_TIMEOUT_MS: '600000',
      HANDOFF_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS_ENV,
      // Each process its own embedded ledger, unless the test gives a PostgreSQL URL.
      HANDOFF_LEDGER_DIR: mkdtempSync(path.join(tmpdir(), 'handoff-ledger-')),
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return { process: proc, output: () => output };
}

/** Polls `check` in real time until it holds. */
export async function until(check: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
