// Entry point of the `site-handoff` command: runCli returns the exit code, so tests run it in-process.
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { Client } from '@temporalio/client';
import { loadDotEnv, readEncryptionKeys } from '../config';
import { connectClient } from '../temporal-connection';
import { openLedger, type Ledger } from '../ledger';
import { buildProgram } from './commands';
import { TemporalUnreachable, UsageError, isCredentialsError, reportError } from './errors';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Where `complete --file -` reads from (default: process.stdin). */
  stdin?: NodeJS.ReadableStream;
}

const DEFAULT_ADDRESS = 'localhost:7233';

const processIo: CliIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
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
  let ledger: Promise<Ledger | undefined> | undefined;
  const program = buildProgram({
    out: io.out,
    err: io.err,
    stdin: io.stdin ?? process.stdin,
    width: outputWidth(),
    temporal: () => (connection ??= connect()),
    ledger: () => (ledger ??= openCliLedger()),
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err, io, Boolean(process.env.SITE_HANDOFF_DEBUG));
  } finally {
    if (ledger)
      await ledger.then(
        (l) => l?.close(),
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

/**
 * The ledger, when HANDOFF_DATABASE_URL names the shared PostgreSQL; the embedded PGlite belongs to the one
 * process running it (`npm start`), so without the URL the CLI reads Temporal only.
 */
async function openCliLedger(): Promise<Ledger | undefined> {
  const url = process.env.HANDOFF_DATABASE_URL?.trim();
  return url ? openLedger({ databaseUrl: url, poolSize: 1 }) : undefined;
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
