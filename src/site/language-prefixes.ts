import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';

/** Where the page language found in the URL prefix is kept on the raw request. */
const LANGUAGE = Symbol('communique.pageLanguage');
type Tagged = IncomingMessage & { [LANGUAGE]?: string };

/** Knows the site's language prefixes (/es, /ar …) and strips them before routing. */
export class LanguagePrefixes {
  #byPrefix = new Map<string, string>();
  #languages: string[] = [];
  #defaultLanguage = '';

  update(languages: string[], defaultLanguage: string): void {
    this.#languages = languages;
    this.#defaultLanguage = defaultLanguage;
    this.#byPrefix = new Map(
      languages
        .filter((language) => language !== defaultLanguage)
        .map((language) => [language.toLowerCase(), language]),
    );
  }

  /** The site's languages as last loaded, for decisions made before routing. */
  get languages(): string[] {
    return this.#languages;
  }

  get defaultLanguage(): string {
    return this.#defaultLanguage;
  }

  /** The URL without its language prefix, remembering the language on the request; other URLs pass through. */
  rewrite(request: IncomingMessage): string {
    const url = request.url ?? '/';
    const match = /^\/([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*)(\/|\?|$)/.exec(url);
    const language =
      match?.[1] === undefined ? undefined : this.#byPrefix.get(match[1].toLowerCase());
    if (match === null || language === undefined) return url;
    (request as Tagged)[LANGUAGE] = language;
    const rest = url.slice(1 + (match[1]?.length ?? 0));
    return rest.startsWith('/') ? rest : `/${rest}`;
  }
}

/** The language the URL asked for, or undefined for the default language. */
export function requestLanguage(request: FastifyRequest): string | undefined {
  return rawRequestLanguage(request.raw);
}

/** The same, on a request not yet routed (after `rewrite`). */
export function rawRequestLanguage(request: IncomingMessage): string | undefined {
  return (request as Tagged)[LANGUAGE];
}
