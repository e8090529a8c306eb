#!/usr/bin/env node
// Plain JavaScript so that an old Node can still print a clear message instead of a syntax error.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `Communiqué needs Node.js 24 (this is ${process.version}).\n` +
      'Run it through npm (npm start, npm test, npx communique), which uses the Node 24 pinned in node_modules,\n' +
      'or install Node.js 24 from https://nodejs.org.\n',
  );
  process.exit(1);
}
const { runCli } = await import('../src/cli/main.ts');
await runCli(process.argv);
