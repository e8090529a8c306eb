import { spawn } from 'node:child_process';
import { POSTGRES_ADMIN_URL, postgresReachable } from './helpers/engines.ts';

// Runs every test file once; files that touch the database run their suites on each engine listed here.
const engines = ['sqlite'];
if (await postgresReachable()) {
  engines.push('postgres');
} else if (process.env.CI === 'true') {
  process.stderr.write(
    `PostgreSQL is required under CI=true, but ${POSTGRES_ADMIN_URL} is not reachable.\n`,
  );
  process.exit(1);
} else {
  process.stderr.write(
    `Notice: PostgreSQL at ${POSTGRES_ADMIN_URL} is not reachable; PostgreSQL suites are skipped.\n`,
  );
}
process.stdout.write(`Database suites run on: ${engines.join(' and ')}\n`);

const child = spawn(
  process.execPath,
  [
    '--test',
    '--test-concurrency=3',
    'src/**/*.test.ts',
    'test/**/*.test.ts',
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', env: { ...process.env, COMMUNIQUE_TEST_ENGINES: engines.join(',') } },
);
child.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0);
});
