// Turns every failure into one exit code and a short message on stderr; stack traces only for the unexpected.
import { CommanderError } from 'commander';
import { ServiceError, WorkflowNotFoundError, isGrpcServiceError } from '@temporalio/client';
import {
  HandoffAlreadyFinished,
  HandoffNotFound,
  HandoffRequestRefused,
  InvalidHandoffRequest,
} from '../handoff-client';
import { ErasureRefused } from '../ledger';
import { RedeliveryRefused } from '../notify';
import { NoWorker } from './workers';

export const EXIT = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  notFound: 3,
  refused: 4,
  unreachable: 5,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done
  1  unexpected error
  2  bad usage or invalid input (every problem is listed)
  3  no handoff with that id
  4  the handoff refused the request (the reason is printed)
  5  cannot reach Temporal or the service's API (or it refused the token), or no worker is running to answer`;

/** Wrong command line or unreadable input, found before anything was sent. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Invalid project-completed input, with the file it came from (if any) for the fix-it hint. */
export class InvalidInput extends Error {
  constructor(
    readonly problems: string[],
    readonly source: string | undefined,
  ) {
    super(problems.join('; '));
    this.name = 'InvalidInput';
  }
}

/** Temporal could not be reached (or refused our credentials) at the configured address. */
export class TemporalUnreachable extends Error {
  constructor(
    readonly address: string,
    readonly addressSource: string,
    readonly detail: string,
    readonly credentialsRejected: boolean,
  ) {
    super(`Cannot reach Temporal at ${address} (${addressSource}): ${detail}`);
    this.name = 'TemporalUnreachable';
  }
}

/** The service's HTTP API did not answer (no connection, a timeout, or the answer stopped midway). */
export class ApiUnreachable extends Error {
  constructor(
    readonly url: string,
    readonly urlSource: string,
    readonly detail: string,
  ) {
    super(`Cannot reach the site-handoff API at ${url} (${urlSource}): ${detail}`);
    this.name = 'ApiUnreachable';
  }
}

/** Where the CLI's staff token came from; the value itself is never kept in an error. */
export type TokenSource = 'HANDOFF_CLI_TOKEN' | 'HANDOFF_API_TOKEN' | 'none';

/** The API answered 401: no staff token, or one it does not accept. */
export class ApiTokenRefused extends Error {
  constructor(
    readonly url: string,
    readonly tokenSource: TokenSource,
    /** HANDOFF_CLI_TOKEN looks like `name:token`, the form HANDOFF_API_TOKEN entries take. */
    readonly looksNamed = false,
  ) {
    super(
      tokenSource === 'none'
        ? `the site-handoff API at ${url} needs a staff token, and none is set`
        : `the site-handoff API at ${url} refused the staff token from ${tokenSource} (401)`,
    );
    this.name = 'ApiTokenRefused';
  }
}

/** The API answered with an error the CLI has no better name for (5xx, an unexpected status). */
export class ApiFailed extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    detail: string,
  ) {
    super(`the site-handoff API at ${url} answered ${status}: ${detail}`);
    this.name = 'ApiFailed';
  }
}

/** A command that reads the ledger found neither the database nor a running service. */
export class NoRecords extends Error {
  constructor(
    readonly command: string,
    readonly apiUrl: string,
  ) {
    super(
      `${command} reads the handoff ledger, and neither HANDOFF_DATABASE_URL nor HANDOFF_API_URL is set ` +
        `and no site-handoff API answers at ${apiUrl}`,
    );
    this.name = 'NoRecords';
  }
}

const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_UNAVAILABLE = 14;
const GRPC_UNAUTHENTICATED = 16;
const GRPC_PERMISSION_DENIED = 7;

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

/** Whether a failure while connecting means "wrong credentials" rather than "nobody answered". */
export function isCredentialsError(err: unknown): boolean {
  const code = grpcCode(err);
  return code === GRPC_UNAUTHENTICATED || code === GRPC_PERMISSION_DENIED;
}

/** A call that failed because the server went away after we connected. */
export function isUnavailable(err: unknown): boolean {
  return grpcCode(err) === GRPC_UNAVAILABLE;
}

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause =
    err.cause instanceof Error && err.cause.message !== err.message ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}

export interface ErrorSink {
  err: (s: string) => void;
}

/** Prints what went wrong and how to go on; returns the exit code. */
export function reportError(err: unknown, io: ErrorSink, debug: boolean): number {
  const line = (s: string): void => io.err(`${s}\n`);
  if (err instanceof CommanderError) {
    // Commander has already printed its message (and help, when asked for).
    return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (err instanceof UsageError) {
    line(`error: ${err.message}`);
    if (err.hint) line(err.hint);
    return EXIT.usage;
  }
  if (err instanceof InvalidInput || err instanceof InvalidHandoffRequest) {
    line(
      `error: the ${err instanceof InvalidHandoffRequest ? err.what : 'project-completed event'} is invalid:`,
    );
    for (const problem of err.problems) line(`  - ${problem}`);
    const source = err instanceof InvalidInput ? err.source : undefined;
    // A change goes to a handoff that already runs: nothing was sent to it, rather than nothing started.
    const untouched = err instanceof InvalidHandoffRequest && err.what === 'change' ? 'sent' : 'started';
    line(
      source
        ? `Fix the fields above in ${source} and run the command again; nothing was ${untouched}.`
        : `Fix the fields above and run the command again; nothing was ${untouched}.`,
    );
    return EXIT.usage;
  }
  if (err instanceof HandoffNotFound) {
    line(`error: ${err.message}`);
    return EXIT.notFound;
  }
  if (err instanceof WorkflowNotFoundError) {
    line(`error: no handoff with id ${err.workflowId ?? '(unknown)'}; \`site-handoff list\` shows them.`);
    return EXIT.notFound;
  }
  if (err instanceof HandoffRequestRefused) {
    line(`refused: ${err.reason}`);
    line(`Nothing was changed. \`site-handoff status ${err.workflowId}\` shows the handoff as it is.`);
    return EXIT.refused;
  }
  if (err instanceof RedeliveryRefused) {
    line(`${err.statusCode === 404 ? 'error' : 'refused'}: ${err.message}`);
    line('Nothing was sent. `site-handoff deliveries <id>` lists each delivery with its webhook-id.');
    return err.statusCode === 404 ? EXIT.notFound : EXIT.refused;
  }
  if (err instanceof HandoffAlreadyFinished) {
    line(`refused: ${err.message}`);
    return EXIT.refused;
  }
  if (err instanceof ErasureRefused) {
    line(`refused: handoffs for this address are still running: ${err.runningHandoffIds.join(', ')}`);
    line(
      'Nothing was erased. Revoke them first (`site-handoff revoke <id> --reason …`), then run erase again.',
    );
    return EXIT.refused;
  }
  if (err instanceof ApiUnreachable) {
    line(`error: ${err.message}`);
    line(
      err.urlSource === 'from HANDOFF_API_URL'
        ? "Is the service running there? Check HANDOFF_API_URL (the API's base URL, e.g. http://127.0.0.1:8080)."
        : 'Is `npm start` still running? Run the command again once it is.',
    );
    return EXIT.unreachable;
  }
  if (err instanceof ApiTokenRefused) {
    line(`error: ${err.message}`);
    if (err.tokenSource === 'none') {
      line(
        'Set HANDOFF_CLI_TOKEN to one of the staff tokens the service accepts (its HANDOFF_API_TOKEN), ' +
          'or set HANDOFF_API_TOKEN as the service has it.',
      );
    } else if (err.tokenSource === 'HANDOFF_CLI_TOKEN') {
      line(
        err.looksNamed
          ? 'HANDOFF_CLI_TOKEN holds the token alone: leave out the `name:` prefix of the HANDOFF_API_TOKEN entry.'
          : "Set HANDOFF_CLI_TOKEN to one of the service's HANDOFF_API_TOKEN tokens (without a `name:` prefix).",
      );
    } else {
      line(
        "The first entry of HANDOFF_API_TOKEN is not one the service accepts: set HANDOFF_CLI_TOKEN to one of the service's " +
          'staff tokens, or use the same HANDOFF_API_TOKEN as the service.',
      );
    }
    return EXIT.unreachable;
  }
  if (err instanceof ApiFailed) {
    line(`error: ${err.message}`);
    line(
      err.status >= 502 && err.status <= 504
        ? 'The service (or a proxy before it) is not ready; try again shortly.'
        : 'The service log says more; run the command again once it is fixed.',
    );
    return err.status >= 502 && err.status <= 504 ? EXIT.unreachable : EXIT.unexpected;
  }
  if (err instanceof NoRecords) {
    line(`error: ${err.message}.`);
    line(
      'Start the service (`npm start`), set HANDOFF_API_URL to its API, or set HANDOFF_DATABASE_URL to the ' +
        "service's PostgreSQL; then run the command again.",
    );
    return EXIT.unreachable;
  }
  if (err instanceof TemporalUnreachable) {
    line(`error: ${err.message}`);
    line(
      err.credentialsRejected
        ? 'Check TEMPORAL_API_KEY, TEMPORAL_NAMESPACE and the TLS settings for that server.'
        : 'Is `npm start` running, or is TEMPORAL_ADDRESS set?',
    );
    return EXIT.unreachable;
  }
  if (err instanceof NoWorker) {
    line(`error: ${err.message}.`);
    line(
      'Start one (`site-handoff worker`, or `npm start` for the whole service) with the same HANDOFF_TASK_QUEUE, ' +
        'then run the command again.',
    );
    return EXIT.unreachable;
  }
  if (grpcCode(err) === GRPC_DEADLINE_EXCEEDED) {
    line(`error: Temporal timed out waiting for an answer: ${messageOf(err)}`);
    line("Is a worker running (`site-handoff worker` or `npm start`) for this handoff's task queue?");
    return EXIT.unreachable;
  }
  if (isUnavailable(err)) {
    line(`error: Temporal stopped answering: ${messageOf(err)}`);
    line('Is `npm start` running, or is TEMPORAL_ADDRESS set?');
    return EXIT.unreachable;
  }
  line(`error: unexpected failure: ${messageOf(err)}`);
  if (debug && err instanceof Error && err.stack) line(err.stack);
  else line('Run again with SITE_HANDOFF_DEBUG=1 for the stack trace.');
  return EXIT.unexpected;
}
