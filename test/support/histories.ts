import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');
const History = temporal.api.history.v1.History;

/**
 * With RECORD_HISTORIES=1, saves the handoff's history for the replay test. Recorded when a workflow change is
 * meant to be compatible; committed so CI replays what running handoffs look like today.
 * Stored as protobuf binary: the JSON helpers clash with Jest's module registry.
 */
export async function maybeRecordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const history = await handle.fetchHistory();
  writeFileSync(path.join(HISTORIES_DIR, `${name}.history.bin`), History.encode(history).finish());
}

export function recordedHistories(): { name: string; history: temporal.api.history.v1.History }[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.history.bin'))
    .sort()
    .map((f) => ({
      name: f.replace(/\.history\.bin$/, ''),
      history: History.decode(readFileSync(path.join(HISTORIES_DIR, f))),
    }));
}
