import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticateAccessToken, type TokenIdentity } from '../accounts/access-token-service.ts';
import type { AuditActor } from '../audit/audit-log.ts';
import type { DatabaseHandle } from '../db/connect.ts';
import { ApiProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on Admin API requests once the bearer token is proven. */
    tokenIdentity: TokenIdentity | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const CHALLENGE = 'Bearer realm="communique-admin-api"';

function unauthorised(detail: string, error?: string): ApiProblem {
  return new ApiProblem(401, 'Unauthorized', detail, [], {
    'www-authenticate': error === undefined ? CHALLENGE : `${CHALLENGE}, error="${error}"`,
  });
}

/** The proven identity of an Admin API request; the hook guarantees it is set. */
export function identityOf(request: FastifyRequest): TokenIdentity {
  if (request.tokenIdentity === null) throw unauthorised('Send an access token.');
  return request.tokenIdentity;
}

/** How an Admin API request appears in the audit log: the owner, and which token acted. */
export function auditActorOf(request: FastifyRequest): AuditActor {
  const identity = identityOf(request);
  return {
    userId: identity.user.id,
    label: `${identity.user.email} (API token “${identity.tokenName}”)`,
    ip: request.ip,
  };
}

/** Every Admin API request must carry a valid token; read-only tokens may only read. */
export function registerTokenAuthentication(api: FastifyInstance, handle: DatabaseHandle): void {
  api.decorateRequest('tokenIdentity', null);
  api.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header === undefined)
      throw unauthorised(
        'Send a personal access token as "Authorization: Bearer <token>"; create one under Account → Access tokens in the back office.',
      );
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined)
      throw unauthorised('The Authorization header must read "Bearer <token>".', 'invalid_request');
    const identity = await authenticateAccessToken(handle.db, match[1]);
    if (identity === undefined)
      throw unauthorised(
        'This access token is unknown, revoked or expired, or its owner’s account is disabled.',
        'invalid_token',
      );
    if (!SAFE_METHODS.has(request.method) && identity.scope !== 'write')
      throw new ApiProblem(
        403,
        'Forbidden',
        'This token is read-only; create a token with the write scope to make changes.',
        [],
        { 'www-authenticate': `${CHALLENGE}, error="insufficient_scope", scope="write"` },
      );
    request.tokenIdentity = identity;
  });
}
