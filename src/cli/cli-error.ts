import { ConfigError } from '../config.ts';
import { DatabaseUnavailableError } from '../db/connect.ts';
import { MigrationError } from '../db/migrate.ts';
import { ContentFolderError } from '../import-export/index.ts';

/** A failure the user can act on, printed without a stack trace. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

const EXPECTED_ERRORS = [
  CliError,
  ConfigError,
  DatabaseUnavailableError,
  MigrationError,
  ContentFolderError,
];

/** Prints an error for a person and returns the exit code. */
export function reportError(
  error: unknown,
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): number {
  if (error instanceof ContentFolderError) {
    write(
      `Nothing was imported: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'} found.`,
    );
    for (const problem of error.problems.slice(0, 50)) write(`  ${problem}`);
    if (error.problems.length > 50) write(`  … and ${error.problems.length - 50} more`);
    return 1;
  }
  if (EXPECTED_ERRORS.some((kind) => error instanceof kind)) {
    write((error as Error).message);
    return error instanceof CliError ? error.exitCode : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  write(`Unexpected error: ${message}`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error && error.stack)
    write(error.stack);
  else write('Run again with LOG_LEVEL=debug to see where it happened.');
  return 1;
}
