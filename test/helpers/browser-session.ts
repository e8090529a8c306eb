import { createUser } from '../../src/accounts/account-service.ts';
import type { DatabaseHandle } from '../../src/db/connect.ts';

/** A person using the back office over HTTP: keeps cookies and reads CSRF tokens from the forms it sees. */
export class BackOfficeClient {
  readonly #origin: string;
  readonly #cookies = new Map<string, string>();
  csrf = '';

  constructor(origin: string) {
    this.#origin = origin;
  }

  #remember(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = ''] = header.split(';');
      const [name = '', ...rest] = pair.split('=');
      const value = rest.join('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(header) || value === '')
        this.#cookies.delete(name.trim());
      else this.#cookies.set(name.trim(), value);
    }
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  async get(path: string): Promise<Response & { html: string }> {
    const response = await fetch(`${this.#origin}${path}`, {
      headers: { cookie: this.#cookieHeader() },
      redirect: 'manual',
    });
    this.#remember(response);
    const html = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token !== undefined) this.csrf = token;
    return Object.assign(response, { html });
  }

  /** Posts a form as a browser would, with the CSRF token of the last page seen unless one is given. */
  async post(
    path: string,
    fields: Record<string, string | string[]>,
    options: { csrf?: string | null } = {},
  ): Promise<Response & { html: string }> {
    const body = new URLSearchParams();
    const token = options.csrf === undefined ? this.csrf : options.csrf;
    if (token !== null) body.append('_csrf', token);
    for (const [name, value] of Object.entries(fields)) {
      for (const item of Array.isArray(value) ? value : [value]) body.append(name, item);
    }
    const response = await fetch(`${this.#origin}${path}`, {
      method: 'POST',
      headers: {
        cookie: this.#cookieHeader(),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body,
      redirect: 'manual',
    });
    this.#remember(response);
    const html = await response.text();
    const next = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (next !== undefined) this.csrf = next;
    return Object.assign(response, { html });
  }

  async signIn(email: string, password: string): Promise<Response & { html: string }> {
    await this.get('/admin/login');
    const response = await this.post('/admin/login', { email, password });
    if (response.status === 303) await this.get(response.headers.get('location') ?? '/admin');
    return response;
  }

  cookie(name: string): string | undefined {
    return this.#cookies.get(name);
  }
}

export const TEST_PASSWORD = 'a long enough test password';

/** Creates an account directly, as `communique user create` would. */
export async function addUser(
  handle: DatabaseHandle,
  email: string,
  role: 'admin' | 'editor' | 'contributor',
  organisationSlugs: string[] = [],
): Promise<number> {
  return createUser(
    handle,
    { email, name: email.split('@')[0] ?? email, role, password: TEST_PASSWORD, organisationSlugs },
    { userId: null, label: 'test', ip: null },
  );
}
