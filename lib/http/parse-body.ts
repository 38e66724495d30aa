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

function parseYaml(raw: string): unknown {
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
    throw new HttpError(400, 'MalformedBody', `Malformed YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function lineAndColumn(text: string, position: number): { line: number; column: number } {
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  return { line, column: position - before.lastIndexOf('\n') };
}
