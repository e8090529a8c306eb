import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { ownTemplateEngine } from '../http/own-templates.ts';

const VIEWS_DIR = fileURLToPath(new URL('./views/', import.meta.url));
const STYLESHEET = readFileSync(new URL('./views/api-docs.css', import.meta.url));
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface JsonSchema {
  type?: string | string[];
  format?: string;
  description?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  const?: unknown;
}

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    schema?: JsonSchema;
    description?: string;
  }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<
    string,
    { description?: string; content?: Record<string, { schema?: JsonSchema }> }
  >;
}

interface OpenApiDocument {
  info: { title: string; description?: string; version: string };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
}

/** A schema as a short human type, e.g. "string (date-time) or null". */
function typeName(schema: JsonSchema | undefined): string {
  if (schema === undefined) return '';
  if (schema.$ref !== undefined) return schema.$ref.replace(/^#\/components\/schemas\//, '');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeName).join(' or ');
  if (schema.enum !== undefined)
    return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.type === 'array') return `array of ${typeName(schema.items)}`;
  const base = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  const limits: string[] = [];
  if (schema.format !== undefined) limits.push(schema.format);
  if (schema.minimum !== undefined) limits.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) limits.push(`≤ ${schema.maximum}`);
  if (schema.default !== undefined) limits.push(`default ${JSON.stringify(schema.default)}`);
  return limits.length === 0 ? base : `${base} (${limits.join(', ')})`;
}

function curlExample(baseUrl: string, method: string, path: string, operation: Operation): string {
  const url = `${baseUrl}${path.replace(/\{(\w+)\}/g, (_whole, name: string) => (name === 'id' ? '1' : 'example'))}`;
  const parts = ['curl'];
  if (method !== 'get') parts.push(`-X ${method.toUpperCase()}`);
  if (operation.security !== undefined) parts.push('-H "Authorization: Bearer $COMMUNIQUE_TOKEN"');
  if (operation.requestBody !== undefined)
    parts.push("-H 'Content-Type: application/json' -d @body.json");
  parts.push(`'${url}'`);
  return parts.join(' ');
}

/** The view model of the reference page: operations grouped by tag, in the document's order. */
function describe(document: OpenApiDocument) {
  const baseUrl = document.servers?.[0]?.url ?? '';
  const groups = (document.tags ?? []).map((tag) => ({
    name: tag.name,
    description: tag.description ?? '',
    anchor: tag.name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
    operations: [] as Record<string, unknown>[],
  }));
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (operation === undefined) continue;
      const group = groups.find((candidate) => operation.tags?.includes(candidate.name));
      if (group === undefined) continue;
      const body = operation.requestBody?.content?.['application/json']?.schema;
      group.operations.push({
        method: method.toUpperCase(),
        path,
        anchor: `${method}-${path.replace(/[^a-z0-9]+/gi, '-')}`,
        summary: operation.summary ?? '',
        description: operation.description ?? '',
        needs_token: operation.security !== undefined,
        parameters: (operation.parameters ?? []).map((parameter) => ({
          name: parameter.name,
          location: parameter.in,
          required: parameter.required === true,
          type: typeName(parameter.schema),
          description: parameter.description ?? parameter.schema?.description ?? '',
        })),
        fields: Object.entries(body?.properties ?? {}).map(([name, schema]) => ({
          name,
          required: body?.required?.includes(name) === true,
          type: typeName(schema),
          description: schema.description ?? '',
        })),
        responses: Object.entries(operation.responses ?? {}).map(([status, response]) => ({
          status,
          description: response.description ?? '',
          type: typeName(
            Object.values(response.content ?? {})[0]?.schema ??
              (response as { schema?: JsonSchema }).schema,
          ),
        })),
        curl: curlExample(baseUrl, method, path, operation),
      });
    }
  }
  return {
    title: document.info.title,
    version: document.info.version,
    description_paragraphs: (document.info.description ?? '')
      .split('\n\n')
      .map((paragraph) =>
        paragraph.split('`').map((text, index) => ({ text, code: index % 2 === 1 })),
      ),
    groups: groups.filter((group) => group.operations.length > 0),
  };
}

/** GET /api/openapi.json, generated from the route schemas, and a readable reference at /api/docs. */
export function registerApiDocs(api: FastifyInstance): void {
  const liquid = ownTemplateEngine(VIEWS_DIR);
  let page: string | undefined;

  api.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .header('access-control-allow-origin', '*')
      .header('cache-control', 'public, max-age=300')
      .send(api.swagger()),
  );

  api.get('/docs', { schema: { hide: true } }, async (_request, reply) => {
    page ??= await liquid.renderFile(
      'api-docs',
      describe(api.swagger() as unknown as OpenApiDocument),
    );
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(page);
  });

  api.get('/docs.css', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .send(STYLESHEET),
  );
}
