/** One thing wrong with a request: which parameter or field, and what. */
export interface ProblemDetail {
  /** A query or path parameter, e.g. `limit`. */
  parameter?: string;
  /** A JSON Pointer into the request body, e.g. `/title`. */
  pointer?: string;
  detail: string;
}

/** An RFC 9457 problem: thrown by API handlers, sent as application/problem+json. */
export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: ProblemDetail[];
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    title: string,
    detail: string,
    errors: ProblemDetail[] = [],
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ApiProblem';
    this.status = status;
    this.title = title;
    this.errors = errors;
    this.headers = headers;
  }
}

/** A bad query or path parameter, named in the message. */
export function badParameter(parameter: string, detail: string): ApiProblem {
  return new ApiProblem(400, 'Bad request', `The parameter "${parameter}" ${detail}`, [
    { parameter, detail: `The parameter "${parameter}" ${detail}` },
  ]);
}

export function notFound(what: string): ApiProblem {
  return new ApiProblem(404, 'Not found', what);
}

/** The JSON body of a problem, with `type` left as about:blank since the status says it all. */
export function problemBody(problem: ApiProblem, instance: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    type: 'about:blank',
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    instance,
  };
  if (problem.errors.length > 0) body.errors = problem.errors;
  return body;
}
