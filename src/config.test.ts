import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from './config.ts';

test('defaults match the documented interface', () => {
  const config = loadConfig({});
  assert.equal(config.port, 3000);
  assert.equal(config.host, '127.0.0.1');
  assert.deepEqual(config.database, {
    engine: 'sqlite',
    file: path.resolve('data/communique.db'),
    url: 'sqlite:./data/communique.db',
  });
  assert.equal(config.baseUrl, 'http://127.0.0.1:3000');
  assert.equal(config.demoContent, true);
});

test('PostgreSQL URLs select the postgres engine', () => {
  const config = loadConfig({ DATABASE_URL: 'postgres://app@db.internal:5433/communique' });
  assert.equal(config.database.engine, 'postgres');
});

function configError(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
}

test('bad values name the variable in one line', () => {
  const cases: [NodeJS.ProcessEnv, string, RegExp][] = [
    [{ PORT: 'abc' }, 'PORT', /PORT must be a whole number between 0 and 65535, got "abc"/],
    [{ PORT: '70000' }, 'PORT', /PORT must be between 0 and 65535/],
    [{ DATABASE_URL: 'mysql://root@localhost/db' }, 'DATABASE_URL', /unknown scheme "mysql:"/],
    [{ DATABASE_URL: 'communique.db' }, 'DATABASE_URL', /must start with sqlite: or postgres:\/\//],
    [{ DATABASE_URL: 'sqlite:' }, 'DATABASE_URL', /needs a file path/],
    [{ BASE_URL: 'example.org' }, 'BASE_URL', /not an absolute URL/],
    [{ BASE_URL: 'ftp://example.org' }, 'BASE_URL', /must use http or https/],
    [{ COMMUNIQUE_DEMO: 'maybe' }, 'COMMUNIQUE_DEMO', /must be 1 or 0/],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL', /must be one of/],
    [{ THEME_DIR: '/no/such/theme' }, 'THEME_DIR', /is not a folder/],
    [{ HOST: 'a b' }, 'HOST', /not a host name/],
  ];
  for (const [env, variable, message] of cases) {
    const error = configError(env);
    assert.equal(error.variable, variable);
    assert.match(error.message, message);
    assert.ok(!error.message.includes('\n'), 'one line');
  }
});

test('BASE_URL loses its trailing slash so links join cleanly', () => {
  assert.equal(
    loadConfig({ BASE_URL: 'https://statements.example.org/' }).baseUrl,
    'https://statements.example.org',
  );
});
