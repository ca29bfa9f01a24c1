// What every command module shares: the context the program runs in, and the printing and parsing helpers.
import type { Command } from 'commander';
import type { Client } from '@temporalio/client';
import type { HandoffRecords } from './records';

export interface CliContext {
  out: (s: string) => void;
  err: (s: string) => void;
  stdin: NodeJS.ReadableStream;
  width: number;
  /** Connects on first use; the caller closes it after the command. */
  temporal: () => Promise<{ client: Client; namespace: string }>;
  /** The handoff records: the ledger (HANDOFF_DATABASE_URL) or the service's API; undefined when neither. */
  records: () => Promise<HandoffRecords | undefined>;
  /** Streams text to stdout (export). */
  write: (chunks: AsyncIterable<string>) => Promise<void>;
}

/** The helpers buildProgram hands each command module. */
export interface ChangeCommandHelpers {
  print: (lines: string[] | string) => void;
  printJson: (value: unknown) => void;
  isJson: (cmd: Command) => boolean;
  defaultActor: () => string;
  wholeNumber: (min: number) => (value: string) => number;
}
