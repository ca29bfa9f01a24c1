import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

export const HISTORIES_DIR = path.resolve(__dirname, '..', 'histories');
const History = temporal.api.history.v1.History;

/**
 * With RECORD_HISTORIES=<tag> (e.g. the code version), saves the handoff's history as `<name>.<tag>.history.bin`
 * for the replay test; `1` saves `<name>.history.bin`. Never overwrites: older histories are what running
 * handoffs of older code look like, and must keep replaying.
 * Stored as protobuf binary: the JSON helpers clash with Jest's module registry.
 */
export async function maybeRecordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  const tag = process.env.RECORD_HISTORIES;
  if (!tag) return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const file = path.join(HISTORIES_DIR, tag === '1' ? `${name}.history.bin` : `${name}.${tag}.history.bin`);
  if (existsSync(file)) return;
  const history = await handle.fetchHistory();
  writeFileSync(file, History.encode(history).finish());
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
