import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its starting size for the life of a server process. Left to
 * grow, it reached 64 MB per semi-space in some starts and not others; every scavenge then freed
 * and refaulted those pages, about 1.5 page faults per cached page served, which doubled the CPU a
 * cached page costs and made throughput differ from one start to the next (bench/, README).
 * Called before the server's modules load, while the young generation is still small (16 MB).
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
