import { parseDocument } from 'yaml';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { jsonErrorOffset } from './json-error-offset.js';
import { HttpError } from './responses.js';

export const MAX_BODY_BYTES = 256 * 1024;
const JSON_TYPES = ['application/json'];
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

const header = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

/**
 * Reads a JSON or YAML request body: 413 over 256 KiB, 415 for other content types, 400 with the
 * parser's line and column for malformed input. An absent body is `undefined` (the use case decides).
 */
export function parseBody(event: APIGatewayProxyEventV2): unknown {
  const raw = event.body === undefined || event.body === null ? '' : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PayloadTooLarge', `The body is larger than ${MAX_BODY_BYTES / 1024} KiB`);
  }
  const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (raw.trim() === '') return undefined;
  if (JSON_TYPES.includes(type) || type.endsWith('+json')) return parseJson(raw);
  if (YAML_TYPES.includes(type)) return parseYaml(raw);
  throw new HttpError(415, 'UnsupportedMediaType', `Content-Type "${type || '(none)'}" is not supported; send application/json or application/yaml`);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/ in JSON at position.*$/, '');
    const { line, column } = jsonErrorPosition(raw, error);
    throw new HttpError(400, 'MalformedBody', `Malformed JSON at line ${line}, column ${column}: ${message}`, [{ path: `(body):${line}:${column}`, message }]);
  }
}

/** V8 names a position only for some JSON errors; otherwise our own scan finds the first bad character. */
function jsonErrorPosition(raw: string, error: unknown): { line: number; column: number } {
  const position = /position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  return lineAndColumn(raw, position !== undefined ? Number(position) : jsonErrorOffset(raw));
}

/**
 * The YAML parser recurses once per level of flow (`[`, `{`) or compact (`- - -`) nesting: a few hundred
 * levels overflow the stack after seconds of CPU, and the next request may then crash the process.
 * No rollout document comes near this depth, so deeper bodies are refused before parsing.
 */
export const MAX_YAML_NESTING = 64;

function tooDeep(raw: string): { line: number; column: number } | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\n') {
      line++;
      lineStart = i + 1;
      const compact = /^[ \t]*(?:[-?:][ \t]+)*/.exec(raw.slice(lineStart, lineStart + 4 * MAX_YAML_NESTING + 8))?.[0] ?? '';
      if ((compact.match(/[-?:]/g)?.length ?? 0) > MAX_YAML_NESTING) return { line, column: compact.length };
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_YAML_NESTING) return { line, column: i - lineStart + 1 };
    } else if (c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

function parseYaml(raw: string): unknown {
  const deep = tooDeep(`\n${raw}`);
  if (deep) {
    const reason = `nests deeper than ${MAX_YAML_NESTING} levels`;
    throw new HttpError(400, 'MalformedBody', `Malformed YAML at line ${deep.line - 1}, column ${deep.column}: ${reason}`, [{ path: `(body):${deep.line - 1}:${deep.column}`, message: reason }]);
  }
  // Aliases are capped so a "billion laughs" document cannot exhaust memory.
  const document = parseDocument(raw, { prettyErrors: true, uniqueKeys: true });
  const first = document.errors[0];
  if (first) {
    const pos = first.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : 'an unknown position';
    const reason = first.message.split('\n')[0] ?? first.message;
    throw new HttpError(400, 'MalformedBody', `Malformed YAML at ${where}: ${reason}`, [{ path: pos ? `(body):${pos.line}:${pos.col}` : '(body)', message: reason }]);
  }
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    // toJS refuses alias bombs (maxAliasCount); the whole body is at fault, so the path is the body.
    const reason = error instanceof Error ? error.message : String(error);
    throw new HttpError(400, 'MalformedBody', `Malformed YAML: ${reason}`, [{ path: '(body)', message: reason }]);
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return { line, column: position - before.lastIndexOf('\n') };
}
