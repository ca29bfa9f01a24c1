// Entry point of the `site-handoff` command: runCli returns the exit code, so tests run it in-process.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Client } from '@temporalio/client';
import { loadDotEnv, readEncryptionKeys } from '../config';
import { connectClient } from '../temporal-connection';
import { openLedger } from '../ledger';
import { ServiceApi, cliStaffToken, findServiceApi, sendsTokenInClear } from './api-client';
import { buildProgram } from './commands';
import { TemporalUnreachable, UsageError, isCredentialsError, reportError } from './errors';
import { ApiRecords, LedgerRecords, type HandoffRecords, type Temporal } from './records';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where `complete --file -` reads from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
  /** Where streamed output (export) goes with backpressure; without it, through `out`. */
  stdout?: NodeJS.WritableStream;
}

const DEFAULT_ADDRESS = 'localhost:7233';

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
  stdout: process.stdout,
};

/** Where the address came from, without reading or printing any other setting (API keys stay out of output). */
function configuredAddress(): { address: string; source: string } {
  const fromEnv = process.env.TEMPORAL_ADDRESS?.trim();
  if (fromEnv) return { address: fromEnv, source: 'from TEMPORAL_ADDRESS' };
  const address = loadClientConnectConfig().connectionOptions.address;
  return address
    ? { address, source: 'from the Temporal config profile' }
    : { address: DEFAULT_ADDRESS, source: 'the default; TEMPORAL_ADDRESS is not set' };
}

async function connect(): Promise<{ client: Client; namespace: string; close: () => Promise<void> }> {
  let target: { address: string; source: string };
  try {
    target = configuredAddress();
  } catch (err) {
    throw new UsageError(
      `the Temporal connection settings are invalid: ${err instanceof Error ? err.message : String(err)}`,
      'Check TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, the TLS settings and the Temporal config profile.',
    );
  }
  // connectClient would quietly fall back to clear payloads, which the service could not read back.
  const keyProblems: string[] = [];
  readEncryptionKeys(process.env, keyProblems);
  if (keyProblems.length) {
    throw new UsageError(
      keyProblems.join('; '),
      'Use the same HANDOFF_ENCRYPTION_KEYS as the service (openssl rand -base64 32 makes a key).',
    );
  }
  try {
    return await connectClient();
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    const detail = err instanceof Error ? `${err.message}${cause}` : String(err);
    throw new TemporalUnreachable(target.address, target.source, detail, isCredentialsError(err));
  }
}

/** The terminal's width (or COLUMNS); piped output is not wrapped, so each row stays one greppable line. */
function outputWidth(): number {
  const columns = process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? Math.max(columns, 60) : Infinity;
}

/** Runs one command line (the arguments after the program name) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<number> {
  let connection: Promise<{ client: Client; namespace: string; close: () => Promise<void> }> | undefined;
  let records: Promise<OpenRecords> | undefined;
  const temporal: Temporal = () => (connection ??= connect());
  const program = buildProgram({
    out: io.out,
    err: io.err,
    stdin: io.stdin ?? process.stdin,
    width: outputWidth(),
    temporal,
    records: () => (records ??= openCliRecords(io, temporal)).then((r) => r.records),
    write: (chunks) => writeStreamed(io, chunks),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, io, Boolean(process.env.SITE_HANDOFF_DEBUG));
  } finally {
    if (records)
      await records.then(
        (r) => r.close?.(),
        () => undefined,
      );
    if (connection) {
      await connection.then(
        (c) => c.close(),
        () => undefined,
      );
    }
  }
}

interface OpenRecords {
  records?: HandoffRecords;
  close?: () => Promise<void>;
}

/**
 * The ledger itself when HANDOFF_DATABASE_URL names the shared PostgreSQL; else the service's API in front of it
 * (HANDOFF_API_URL, or `npm start`'s when it answers), since the embedded PGlite belongs to the one process
 * running it; else none, and the CLI reads Temporal only.
 */
async function openCliRecords(io: CliIo, temporal: Temporal): Promise<OpenRecords> {
  const url = process.env.HANDOFF_DATABASE_URL?.trim();
  if (url) {
    const ledger = await openLedger({ databaseUrl: url, poolSize: 1 });
    return { records: new LedgerRecords(ledger, temporal), close: () => ledger.close() };
  }
  const target = await findServiceApi(process.env);
  if (!target) return {};
  if (sendsTokenInClear(target)) {
    io.err(
      `warning: ${target.url} is plain http to another machine: the staff token crosses the network unencrypted; ` +
        'use https.\n',
    );
  }
  return { records: new ApiRecords(new ServiceApi(target, cliStaffToken(process.env))) };
}

/** Streams text to stdout with backpressure; a reader that went away (`| head`) ends it quietly. */
async function writeStreamed(io: CliIo, chunks: AsyncIterable<string>): Promise<void> {
  if (!io.stdout) {
    for await (const chunk of chunks) io.out(chunk);
    return;
  }
  try {
    await pipeline(Readable.from(chunks), io.stdout, { end: false });
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'EPIPE') throw err;
  }
}

/** `node bin/site-handoff.js …` and `ts-node src/cli/main.ts …`. */
export function main(): void {
  // The same .env as `npm start` and the worker, so the CLI finds their Temporal, task queue and keys.
  loadDotEnv();
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // runCli reports its own errors; reaching here is a bug in the CLI itself.
      console.error(err);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();
