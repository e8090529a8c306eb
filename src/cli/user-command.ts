import type { Command } from 'commander';
import { CliError } from './cli-error.ts';
import { openMigratedDatabase } from './open-database.ts';

async function readStandardInput(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (then Enter and Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

interface CreateOptions {
  email: string;
  name: string;
  role: string;
  organisation: string[];
  passwordStdin?: boolean;
}

/** `communique user …`: accounts for the back office. */
export function addUserCommands(program: Command): void {
  const user = program.command('user').description('manage back-office accounts');
  user
    .command('create')
    .description(
      'create an account; the password is read from standard input, never from the command line',
    )
    .requiredOption('--email <email>', 'sign-in email address')
    .requiredOption('--name <name>', 'the name shown in the back office')
    .requiredOption('--role <role>', 'admin, editor or contributor')
    .option(
      '--organisation <slug>',
      'an organisation a contributor drafts for (repeat for several)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--password-stdin', 'read the password from standard input')
    .addHelpText(
      'after',
      '\nExample:\n  printf "%s" "$PASSWORD" | communique user create --email ana@example.org --name "Ana" --role editor --password-stdin\n',
    )
    .action(async (options: CreateOptions) => {
      if (!options.passwordStdin) {
        throw new CliError(
          'Give the password on standard input with --password-stdin; it is never read from the command line.',
          2,
        );
      }
      const password = await readStandardInput();
      const { createUser, AccountError } = await import('../accounts/account-service.ts');
      const { handle } = await openMigratedDatabase();
      try {
        const id = await createUser(
          handle,
          {
            email: options.email,
            name: options.name,
            role: options.role,
            password,
            organisationSlugs: options.organisation,
          },
          { userId: null, label: 'command line', ip: null },
        );
        process.stdout.write(
          `Created ${options.role} account #${id} for ${options.email.trim().toLowerCase()}.\n`,
        );
      } catch (error) {
        if (error instanceof AccountError)
          throw new CliError(
            `Cannot create the account: --${error.field === 'password' ? 'password-stdin' : error.field}: ${error.message}`,
          );
        throw error;
      } finally {
        await handle.close();
      }
    });
}
