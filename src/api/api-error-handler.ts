import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  OrganisationForbiddenError,
  OrganisationInputError,
  OrganisationInUseError,
  OrganisationNotFoundError,
} from '../organisations/organisation-service.ts';
import {
  PageForbiddenError,
  PageInputError,
  PageInUseError,
  PageNotFoundError,
} from '../pages/page-service.ts';
import {
  StatementConflictError,
  StatementForbiddenError,
  StatementInputError,
  StatementNotFoundError,
} from '../statements/statement-errors.ts';
import { ApiProblem, type ProblemDetail, problemBody } from './problem.ts';

const PROBLEM_TYPE = 'application/problem+json; charset=utf-8';

// Back-office form field names that differ from the API's field names.
const FIELD_NAMES: Record<string, string> = {
  date: 'published_at',
  signatories: 'organisations',
  publish_at: 'schedule_at',
};

interface ValidationItem {
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

const CONTEXT_NAMES: Record<string, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'field',
  headers: 'header',
};

/** Turns one schema violation into a sentence that names the parameter or field. */
function describeViolation(context: string, item: ValidationItem): ProblemDetail {
  const path = item.instancePath.replace(/^\//, '').replaceAll('/', '.');
  const extra =
    typeof item.params.additionalProperty === 'string' ? item.params.additionalProperty : null;
  const missing =
    typeof item.params.missingProperty === 'string' ? item.params.missingProperty : null;
  const name = extra ?? missing ?? path;
  const kind = CONTEXT_NAMES[context] ?? 'value';
  let detail: string;
  if (extra !== null) detail = `The ${kind} "${extra}" is not known here.`;
  else if (missing !== null) detail = `The ${kind} "${missing}" is required.`;
  else if (name === '') detail = `The request ${context} ${item.message ?? 'is not valid'}.`;
  else detail = `The ${kind} "${name}" ${item.message ?? 'is not valid'}.`;
  if (Array.isArray(item.params.allowedValues))
    detail = `${detail.slice(0, -1)}: ${item.params.allowedValues.join(', ')}.`;
  if (context === 'body') return { pointer: `/${name.replaceAll('.', '/')}`, detail };
  return { parameter: name, detail };
}

function fieldProblem(fields: Record<string, string>): ApiProblem {
  const errors = Object.entries(fields).map(([field, detail]) => ({
    pointer: `/${FIELD_NAMES[field] ?? field}`,
    detail,
  }));
  return new ApiProblem(
    422,
    'Unprocessable content',
    errors.map((error) => `${error.pointer.slice(1)}: ${error.detail}`).join(' '),
    errors,
  );
}

/** Maps what a handler threw to the problem a client sees; unknown errors never leak. */
export function toProblem(error: unknown): ApiProblem | null {
  if (error instanceof ApiProblem) return error;
  if (
    error instanceof StatementInputError ||
    error instanceof OrganisationInputError ||
    error instanceof PageInputError
  )
    return fieldProblem(error.fields);
  if (
    error instanceof StatementForbiddenError ||
    error instanceof OrganisationForbiddenError ||
    error instanceof PageForbiddenError
  )
    return new ApiProblem(403, 'Forbidden', error.message);
  if (
    error instanceof StatementNotFoundError ||
    error instanceof OrganisationNotFoundError ||
    error instanceof PageNotFoundError
  )
    return new ApiProblem(404, 'Not found', error.message);
  if (
    error instanceof StatementConflictError ||
    error instanceof OrganisationInUseError ||
    error instanceof PageInUseError
  )
    return new ApiProblem(409, 'Conflict', error.message);
  const fastifyError = error as Partial<FastifyError> & { validation?: ValidationItem[] };
  if (Array.isArray(fastifyError.validation)) {
    const context = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.map((item) => describeViolation(context, item));
    return new ApiProblem(400, 'Bad request', errors.map((e) => e.detail).join(' '), errors);
  }
  const status = fastifyError.statusCode;
  if (status === 429)
    return new ApiProblem(429, 'Too many requests', fastifyError.message ?? 'Slow down.');
  if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new ApiProblem(415, 'Unsupported media type', 'Send the body as application/json.');
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return new ApiProblem(413, 'Content too large', 'The request body is larger than allowed.');
  if (status !== undefined && status >= 400 && status < 500)
    return new ApiProblem(status, 'Bad request', fastifyError.message ?? 'The request is invalid.');
  return null;
}

export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: ApiProblem,
): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value);
  return reply
    .code(problem.status)
    .header('cache-control', 'no-store')
    .type(PROBLEM_TYPE)
    .serializer(JSON.stringify)
    .send(problemBody(problem, request.url));
}

/** Every error under /api becomes application/problem+json; a 500 says nothing of internals. */
export function registerProblemHandlers(api: FastifyInstance): void {
  api.setErrorHandler((error, request, reply) => {
    const problem = toProblem(error);
    if (problem !== null) return sendProblem(request, reply, problem);
    request.log.error({ err: error }, `API request failed: ${request.method} ${request.url}`);
    return sendProblem(
      request,
      reply,
      new ApiProblem(500, 'Internal server error', 'Something went wrong on our side; try again.'),
    );
  });
  api.setNotFoundHandler((request, reply) =>
    sendProblem(
      request,
      reply,
      new ApiProblem(
        404,
        'Not found',
        `There is no API endpoint ${request.method} ${request.url}.`,
      ),
    ),
  );
}
