import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { reportError } from './cli-error.ts';
import { MAX_WORKERS, parseWorkerCount } from './cluster.ts';
import type { CopyOptions } from './copy-command.ts';
import { openMigratedDatabase } from './open-database.ts';
import { progressLine } from './progress.ts';
import { addUserCommands } from './user-command.ts';
import { keepYoungGenerationSmall } from './young-generation.ts';

const ENVIRONMENT_HELP = `
Environment:
  DATABASE_URL     sqlite:PATH (default sqlite:./data/communique.db) or postgres://USER@HOST:PORT/DB
  PORT, HOST       where to listen (default 3000 on 127.0.0.1)
  BASE_URL         the public address, used in canonical links
  COMMUNIQUE_DEMO  0 to start an empty site without demo content
  THEME_DIR        a folder with the site's own theme
  LOG_LEVEL        fatal, error, warn, info (default), debug, trace or silent
  LOG_FORMAT       pretty (default) or json`;

const COPY_HELP = `
Copies every table that holds the site (content, accounts, audit log, media records, webhooks,
access tokens) with its ids, in one transaction on the target, then reads it back and checks the
row counts and a SHA-256 checksum; on any mismatch nothing is written. Sessions and sign-in
throttling are not copied. Uploaded media files live in MEDIA_DIR: copy them separately.

Examples:
  communique copy --from sqlite:./data/communique.db --to postgres://postgres@127.0.0.1:5432/communique
  communique copy --from postgres://postgres@127.0.0.1/communique --to sqlite:./moved.db --force`;

const BACKUP_HELP = `
Reads the database (DATABASE_URL) in one read-only transaction, so the file is one moment of
the site even while it keeps taking writes. The file is written under a temporary name, read
back and checked, then renamed. It holds password hashes: keep it private (it is made mode 600).

Example:
  DATABASE_URL=postgres://postgres@127.0.0.1/communique communique backup backups/site-$(date +%F).ndjson.gz`;

const RESTORE_HELP = `
Checks the file's counts and checksum, and writes every row in one transaction, verified
before it commits. A file from an older schema is restored at that schema, then migrated to
the latest in the same transaction; one from a newer schema is refused.
A backup from SQLite restores into PostgreSQL and the other way round.

Example:
  DATABASE_URL=sqlite:./data/restored.db communique restore backups/site-2026-11-26.ndjson.gz`;

const SERVE_HELP = `
With --workers N, a primary process migrates the database and loads the demo content once, then
starts N workers that share the port; a worker that dies is replaced (after a growing pause if
workers keep dying young). Several instances, on one host or many, may share one PostgreSQL: a
change made through any of them empties the page cache of all within a second (LISTEN/NOTIFY).
SIGTERM or SIGINT finishes open requests (at most 30 s), closes the database and exits 0.
An unreachable PostgreSQL is retried for DATABASE_CONNECT_TIMEOUT_SECONDS (default 30).

Examples:
  communique serve
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/communique HOST=0.0.0.0 communique serve --workers 4`;

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function counts(
  label: string,
  outcome: { created: number; updated: number; unchanged: number },
): string {
  return `${label}: ${outcome.created} created, ${outcome.updated} updated, ${outcome.unchanged} unchanged`;
}

export function buildProgram(): Command {
  const program = new Command('communique')
    .description('Communiqué: the publishing platform of a network of member organisations.')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', ENVIRONMENT_HELP)
    .exitOverride();

  program
    .command('serve')
    .description(
      'serve the public site (runs migrations first; loads demo content into an empty site)',
    )
    .option(
      '--workers <n>',
      `processes serving together on one port, 1 to ${MAX_WORKERS} (1: no cluster)`,
      parseWorkerCount,
      1,
    )
    .addHelpText('after', SERVE_HELP)
    .action(async (options: { workers: number }) => {
      keepYoungGenerationSmall();
      const { serveCommand } = await import('./serve-command.ts');
      await serveCommand(options);
    });

  program
    .command('migrate')
    .description('bring the database schema up to date, then exit')
    .action(async () => {
      const { handle, applied } = await openMigratedDatabase();
      await handle.close();
      say(
        applied.length === 0
          ? `Already up to date (${handle.description}).`
          : `Applied: ${applied.join(', ')}`,
      );
    });

  program
    .command('init')
    .description(
      'create and migrate the database, and load the demo content unless COMMUNIQUE_DEMO=0',
    )
    .action(async () => {
      const { seedDemoContent } = await import('../demo/seed-demo-content.ts');
      const { config, handle } = await openMigratedDatabase();
      try {
        const added = config.demoContent ? await seedDemoContent(handle) : 0;
        say(
          `Database ready: ${handle.description}${added > 0 ? `, with ${added} demo statements` : ''}.`,
        );
      } finally {
        await handle.close();
      }
    });

  program
    .command('import')
    .description(
      'import a content folder (site.yaml, organisations/, pages/, statements/); all or nothing',
    )
    .argument('<dir>', 'the content folder')
    .action(async (dir: string) => {
      const { importContent, readContentFolder } = await import('../import-export/index.ts');
      const folder = path.resolve(dir);
      const bundle = await readContentFolder(folder, progressLine('Reading'));
      const { handle } = await openMigratedDatabase();
      try {
        const report = await importContent(handle, bundle);
        say(`Imported ${bundle.fileCount} files from ${folder} into ${handle.description}.`);
        say(counts('Organisations', report.organisations));
        say(counts('Pages', report.pages));
        say(counts('Statements', report.statements));
        say(report.settingsChanged ? 'Site settings updated.' : 'Site settings unchanged.');
      } finally {
        await handle.close();
      }
    });

  program
    .command('export')
    .description('write the whole site as a content folder that import reads back')
    .argument('<dir>', 'the folder to write (created if missing)')
    .action(async (dir: string) => {
      const { exportContent } = await import('../import-export/index.ts');
      const folder = path.resolve(dir);
      const { handle } = await openMigratedDatabase();
      try {
        const report = await exportContent(handle, folder, progressLine('Writing'));
        say(
          `Exported ${report.statements} statements, ${report.organisations} organisations and ${report.pages} pages to ${folder}.`,
        );
      } finally {
        await handle.close();
      }
    });

  program
    .command('copy')
    .description(
      'copy the whole site from one database into another (SQLite <-> PostgreSQL); all or nothing',
    )
    .requiredOption('--from <url>', 'the database to copy: sqlite:PATH or postgres://USER@HOST/DB')
    .requiredOption('--to <url>', 'the database to fill; migrated first, and must be empty')
    .option('--force', "replace the target's content (in the same transaction)")
    .option('--migrate-source', 'bring the source schema up to date first (otherwise only read)')
    .addHelpText('after', COPY_HELP)
    .action(async (options: CopyOptions) => {
      const { copyCommand } = await import('./copy-command.ts');
      await copyCommand(options);
    });

  program
    .command('backup')
    .description(
      'write a consistent snapshot of the database to a file, while the site keeps serving',
    )
    .argument('<file>', "the backup file to write (gzip'd NDJSON), e.g. site.ndjson.gz")
    .option('--force', 'replace the file if it exists')
    .addHelpText('after', BACKUP_HELP)
    .action(async (file: string, options: { force?: boolean }) => {
      const { backupCommand } = await import('./backup-command.ts');
      await backupCommand(file, options);
    });

  program
    .command('restore')
    .description('restore a backup file into the database (DATABASE_URL); all or nothing')
    .argument('<file>', 'a file written by communique backup')
    .option('--force', "replace the database's content (in the same transaction)")
    .addHelpText('after', RESTORE_HELP)
    .action(async (file: string, options: { force?: boolean }) => {
      const { restoreCommand } = await import('./backup-command.ts');
      await restoreCommand(file, options);
    });

  addUserCommands(program);

  const configure = (command: Command) => {
    command.exitOverride().showHelpAfterError('(run with --help for usage)');
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  return program;
}

/** Runs the CLI and sets the exit code; never prints a stack trace for expected failures. */
export async function runCli(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return;
    }
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    process.exitCode = reportError(error);
  }
}
