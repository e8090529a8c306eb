import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runCli } from './helpers/cli.ts';

const COMMANDS = ['serve', 'migrate', 'init', 'import', 'export'];

describe('the communique command', () => {
  test('--help lists every command and the environment variables', async () => {
    const result = await runCli(['--help']);
    assert.equal(result.code, 0);
    for (const command of COMMANDS)
      assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    assert.match(result.stdout, /DATABASE_URL/);
  });

  test('every command has its own --help', async () => {
    for (const command of COMMANDS) {
      const result = await runCli([command, '--help']);
      assert.equal(result.code, 0, command);
      assert.match(result.stdout, new RegExp(`^Usage: communique ${command}`, 'm'), command);
    }
  });

  test('an unknown command or a missing argument is a usage error (exit 2)', async () => {
    const unknown = await runCli(['publish-everything']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'publish-everything'/);
    const missing = await runCli(['import']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /missing required argument 'dir'/);
  });

  test('a bad PORT stops the program with one line naming it, and no stack trace', async () => {
    const result = await runCli(['serve'], { PORT: 'abc' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.trim(),
      'Configuration error: PORT must be a whole number between 0 and 65535, got "abc"',
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });

  test('a DATABASE_URL with an unknown scheme names the variable', async () => {
    const result = await runCli(['migrate'], { DATABASE_URL: 'mysql://root@127.0.0.1/communique' });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^Configuration error: DATABASE_URL has an unknown scheme "mysql:"/,
    );
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('an unreachable PostgreSQL gives a clear message, not a stack trace', async () => {
    const result = await runCli(['migrate'], {
      DATABASE_URL: 'postgres://communique@127.0.0.1:1/nowhere',
    });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^Cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere: .*ECONNREFUSED.*Check that the server is running/,
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /);
  });
});
