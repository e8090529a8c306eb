import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';

/** Placeholder until uploaded images are served. */
export async function registerPublicMedia(
  _server: FastifyInstance,
  _config: Config,
): Promise<void> {}
