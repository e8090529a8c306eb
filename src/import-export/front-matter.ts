import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';

/** A YAML document with a way to find the line of each top-level field. */
export interface ParsedYaml {
  data: Record<string, unknown>;
  /** 1-based line in the file where a field's value starts, or where the YAML starts if it is absent. */
  lineOf(field: string): number;
}

export class ContentFileError extends Error {
  readonly file: string;
  readonly line: number;
  readonly field: string | null;
  constructor(file: string, line: number, field: string | null, problem: string) {
    super(`${file}:${line}: ${field === null ? '' : `field "${field}": `}${problem}`);
    this.name = 'ContentFileError';
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

/** Parses YAML that starts at `firstLine` of `file`, reporting syntax errors with their line. */
export function parseYaml(source: string, file: string, firstLine = 1): ParsedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = document.errors[0];
  if (firstError !== undefined) {
    const line = lineCounter.linePos(firstError.pos[0]).line + firstLine - 1;
    const message = firstError.message.split('\n')[0] ?? 'invalid YAML';
    throw new ContentFileError(file, line, null, `YAML syntax error: ${message}`);
  }
  const contents = document.contents;
  if (contents !== null && !isMap(contents)) {
    throw new ContentFileError(
      file,
      firstLine,
      null,
      'expected YAML fields (key: value), found something else',
    );
  }
  const lines = new Map<string, number>();
  for (const pair of contents?.items ?? []) {
    if (isScalar(pair.key) && pair.key.range) {
      const node = isScalar(pair.value) || isMap(pair.value) ? pair.value : pair.key;
      const offset = (node?.range ?? pair.key.range)[0];
      lines.set(String(pair.key.value), lineCounter.linePos(offset).line + firstLine - 1);
    }
  }
  const data = (document.toJS() ?? {}) as Record<string, unknown>;
  return { data, lineOf: (field) => lines.get(field) ?? firstLine };
}

/** Splits a Markdown file into its YAML front matter and its body. */
export function parseFrontMatter(text: string, file: string): ParsedYaml & { body: string } {
  const normalised = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  if (!normalised.startsWith('---\n')) {
    throw new ContentFileError(
      file,
      1,
      null,
      'must start with a front matter block opened by a line "---"',
    );
  }
  const end = normalised.indexOf('\n---', 3);
  const closing = end === -1 ? null : /^[ \t]*(\n|$)/.exec(normalised.slice(end + 4));
  if (closing === null) {
    throw new ContentFileError(file, 1, null, 'front matter is not closed by a line "---"');
  }
  const yamlSource = normalised.slice(4, end + 1);
  const body = normalised.slice(end + 4 + (closing[0]?.length ?? 0)).replace(/^\n+/, '');
  return { ...parseYaml(yamlSource, file, 2), body: body.trimEnd() };
}
