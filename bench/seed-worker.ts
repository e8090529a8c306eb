import { parentPort, workerData } from 'node:worker_threads';
import { type BatchSettings, generateBatch } from './seed-text.ts';

/** Asked for a batch index, answers with the batch or with why it could not make it. */
export type SeedWorkerReply =
  | { index: number; batch: ReturnType<typeof generateBatch> }
  | { index: number; error: string };

const port = parentPort;
if (port === null) throw new Error('bench/seed-worker.ts runs as a worker thread of bench/seed.ts');
const settings = workerData as BatchSettings;

port.on('message', (index: number) => {
  let reply: SeedWorkerReply;
  try {
    reply = { index, batch: generateBatch(settings, index) };
  } catch (error) {
    reply = {
      index,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    };
  }
  port.postMessage(reply);
});
