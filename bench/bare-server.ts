import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

// The baseline: plain node:http answering every request with fixed bytes held in memory, in one
// process or, like `communique serve --workers N`, in N node:cluster workers sharing the port.
const [bodyFile, contentType, workersArgument = '1'] = process.argv.slice(2);
const workers = Number(workersArgument);
if (
  bodyFile === undefined ||
  contentType === undefined ||
  !Number.isInteger(workers) ||
  workers < 1
) {
  process.stderr.write('usage: node bench/bare-server.ts BODY_FILE CONTENT_TYPE [WORKERS]\n');
  process.exit(2);
}

if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  cluster.on('listening', (_worker, address) => {
    listening += 1;
    // Workers calling listen(0) share one port; it is announced once all of them serve.
    if (listening === workers) process.stdout.write(`${address.port}\n`);
  });
  for (let index = 0; index < workers; index += 1) cluster.fork();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    });
  }
} else {
  const body = readFileSync(bodyFile);
  const headers = { 'content-type': contentType, 'content-length': String(body.length) };
  const server = createServer((_request, response) => {
    response.writeHead(200, headers);
    response.end(body);
  });
  server.listen(0, '127.0.0.1', () => {
    if (cluster.isPrimary) process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.close();
      server.closeAllConnections();
    });
  }
}
