import fastifyMultipart, { type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../accounts/policy.ts';
import { instantToZonedLocal } from '../content/zoned-time.ts';
import { mediaLibraryPage } from '../media/media-library.ts';
import {
  MAX_ALT_LENGTH,
  MAX_IMAGE_SIDE,
  MAX_UPLOAD_BYTES,
  MediaInputError,
  uploadImage,
} from '../media/media-service.ts';
import { readSettings } from '../settings/index.ts';
import {
  type AdminDependencies,
  auditActor,
  redirectWithNotice,
  renderAdmin,
} from './admin-context.ts';
import { AdminHttpError } from './admin-http-error.ts';

const PER_PAGE = 24;
const MAX_UPLOAD_MB = MAX_UPLOAD_BYTES / (1024 * 1024);

// The browser's file name, captured while the multipart body is read (keyValues keeps only the bytes).
const uploadNames = new WeakMap<FastifyRequest, string>();
// Requests whose handler has started: an error before that came from reading the upload itself.
const handling = new WeakSet<FastifyRequest>();

const MULTIPART_MESSAGES: Record<string, string> = {
  FST_REQ_FILE_TOO_LARGE: `The image is larger than ${MAX_UPLOAD_MB} MB. Make it smaller (for example, export it 3,000 pixels wide) and try again.`,
  FST_FILES_LIMIT: 'Upload one image at a time.',
  FST_PARTS_LIMIT: 'The form sent more fields than it has.',
  FST_FIELDS_LIMIT: 'The form sent more fields than it has.',
};

function pageNumber(raw: unknown): number {
  return typeof raw === 'string' && /^\d{1,6}$/.test(raw) && Number(raw) >= 1 ? Number(raw) : 1;
}

/** The media library and image upload, in their own scope so multipart parsing stays here. */
export function registerMediaRoutes(admin: FastifyInstance, deps: AdminDependencies): void {
  const db = deps.handle.db;

  const showLibrary = async (
    request: FastifyRequest,
    reply: FastifyReply,
    extra: Record<string, unknown>,
    status: number,
  ) => {
    const page = pageNumber((request.query as Record<string, unknown> | undefined)?.page);
    const [settings, library] = await Promise.all([
      readSettings(db),
      mediaLibraryPage(db, page, PER_PAGE),
    ]);
    const pages = Math.max(1, Math.ceil(library.total / PER_PAGE));
    const link = (target: number) => (target > 1 ? `/admin/media?page=${target}` : '/admin/media');
    return renderAdmin(
      deps,
      request,
      reply,
      'media',
      {
        title: 'Media',
        total: library.total,
        items: library.cards.map((card) => ({
          id: card.id,
          alt: card.alt,
          original_name: card.originalName,
          width: card.width,
          height: card.height,
          size: card.size,
          uploaded_by: card.uploadedBy,
          created_at: card.createdAt.toISOString(),
          created_local: instantToZonedLocal(card.createdAt, settings.timezone).replace('T', ' '),
          thumbnail: card.thumbnail,
          markdown: card.markdown,
        })),
        timezone: settings.timezone,
        limits: {
          megabytes: MAX_UPLOAD_MB,
          side: MAX_IMAGE_SIDE.toLocaleString('en'),
          alt: MAX_ALT_LENGTH,
        },
        values: { alt: '' },
        pagination: {
          page,
          pages,
          newer: page > 1 ? link(page - 1) : null,
          older: page < pages ? link(page + 1) : null,
        },
        ...extra,
      },
      status,
    );
  };

  const mediaScope: FastifyPluginAsync = async (scope) => {
    // Before the body is read: a stranger must not make the server take in 10 MB first.
    scope.addHook('onRequest', async (request) => {
      if (request.method !== 'POST') return;
      if (request.actor === null)
        throw new AdminHttpError(401, 'Please sign in again: your session has ended.');
      if (!can(request.actor, 'media.upload'))
        throw new AdminHttpError(403, 'Your account is not allowed to do this.');
    });

    await scope.register(fastifyMultipart, {
      // Fields land on request.body like a normal form, so the admin CSRF check finds `_csrf`.
      attachFieldsToBody: 'keyValues',
      limits: {
        files: 1,
        fileSize: MAX_UPLOAD_BYTES,
        fields: 8,
        parts: 10,
        fieldSize: 16 * 1024,
      },
      async onFile(this: FastifyRequest, part: MultipartFile) {
        uploadNames.set(this, part.filename);
        await part.toBuffer();
      },
    });

    // Problems with the upload re-render the library with the message; the rest go to the admin handler.
    scope.setErrorHandler(async (error, request, reply) => {
      if (request.actor === null || !can(request.actor, 'media.list')) throw error;
      const code = (error as { code?: unknown }).code;
      const statusCode = (error as { statusCode?: unknown }).statusCode;
      if (error instanceof AdminHttpError) {
        if (error.status === 401 || error.status >= 500) throw error;
        return showLibrary(request, reply, { failure: error.message }, error.status);
      }
      let status: number;
      let message: string;
      if (typeof code === 'string' && MULTIPART_MESSAGES[code] !== undefined) {
        status = typeof statusCode === 'number' ? statusCode : 413;
        message = MULTIPART_MESSAGES[code];
      } else if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
        status = statusCode;
        message = 'The upload could not be read. Choose the image again and retry.';
      } else if (request.method === 'POST' && !handling.has(request)) {
        // busboy rejects malformed or cut-off multipart bodies with plain errors.
        status = 400;
        message = 'The upload could not be read. Choose the image again and retry.';
      } else {
        throw error;
      }
      return showLibrary(request, reply, { errors: { file: message } }, status);
    });

    scope.get('/media', { config: { action: 'media.list' } }, async (request, reply) =>
      showLibrary(request, reply, {}, 200),
    );

    scope.post('/media', { config: { action: 'media.upload' } }, async (request, reply) => {
      handling.add(request);
      const body = (request.body ?? {}) as Record<string, unknown>;
      const alt = typeof body.alt === 'string' ? body.alt : '';
      try {
        await uploadImage(deps.handle, deps.config.mediaDir, auditActor(request), {
          data: Buffer.isBuffer(body.file) ? body.file : null,
          fileName: uploadNames.get(request) ?? '',
          alt,
        });
      } catch (error) {
        if (!(error instanceof MediaInputError)) throw error;
        return showLibrary(request, reply, { errors: error.fields, values: { alt } }, error.status);
      }
      return redirectWithNotice(reply, '/admin/media', 'uploaded');
    });
  };
  // Encapsulated: multipart parsing and this error handler apply to these routes only.
  admin.register(mediaScope);
}
