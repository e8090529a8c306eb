import { keepYoungGenerationSmall } from '../src/cli/young-generation.ts';

// Set before the server's modules load, as `communique serve` does: renders meet the same garbage collector.
keepYoungGenerationSmall();
const { measureColdRenders } = await import('./cold-render.ts');
const [databaseUrl, targetsJson, statementCount] = process.argv.slice(2);
if (databaseUrl === undefined || targetsJson === undefined || statementCount === undefined) {
  process.stderr.write(
    'usage: node bench/cold-render-process.ts DATABASE_URL TARGETS_JSON STATEMENT_COUNT\n',
  );
  process.exit(2);
}
const results = await measureColdRenders(
  databaseUrl,
  JSON.parse(targetsJson),
  Number(statementCount),
);
process.stdout.write(JSON.stringify(results));
