import { mkdir } from 'node:fs/promises';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import { isMediaFileName, MEDIA_URL_PREFIX } from './media-names.ts';

/** Serves uploaded image variants at /media/<file>: only names the uploader generates, cached for good. */
export async function registerPublicMedia(server: FastifyInstance, config: Config): Promise<void> {
  await mkdir(config.mediaDir, { recursive: true });
  await server.register(fastifyStatic, {
    root: config.mediaDir,
    prefix: MEDIA_URL_PREFIX,
    decorateReply: false,
    index: false,
    list: false,
    dotfiles: 'deny',
    // Every file name is random and never rewritten, so a cached copy can never go stale.
    maxAge: '365d',
    immutable: true,
    // Anything else in the folder (temporary files mid-upload, sub-folders, stray files) is a 404.
    allowedPath: (pathName) => isMediaFileName(pathName.replace(/^\//, '')),
    setHeaders: (reply) => {
      reply.header('x-content-type-options', 'nosniff');
    },
  });
}
