import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { authenticate } from '../../lib/http/auth.js';
import { parseBody } from '../../lib/http/parse-body.js';
import { refusal } from '../support/refusal.js';

const event = (body: string, contentType?: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 =>
  ({ body, isBase64Encoded: false, headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers } }) as unknown as APIGatewayProxyEventV2;

describe('request bodies', () => {
  it('parses JSON and YAML', () => {
    expect(parseBody(event('{"a":1}', 'application/json'))).toEqual({ a: 1 });
    expect(parseBody(event('a: 1\nb: [x]\n', 'application/yaml; charset=utf-8'))).toEqual({ a: 1, b: ['x'] });
  });

  it('reports malformed JSON with line and column', () => {
    const error = refusal(() => parseBody(event('{\n  "a": 1,\n  "b": }', 'application/json')));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/line 3, column 8/);
  });

  it('reports malformed YAML with line and column', () => {
    const error = refusal(() => parseBody(event('a: 1\nb: [unclosed\n', 'application/yaml')));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/line \d+, column \d+/);
  });

  it('refuses other content types with 415 and big bodies with 413', () => {
    expect(refusal(() => parseBody(event('a=1', 'application/x-www-form-urlencoded'))).status).toBe(415);
    expect(refusal(() => parseBody(event('x'.repeat(256 * 1024 + 1), 'application/json'))).status).toBe(413);
  });

  it('caps YAML aliases so a billion-laughs body cannot blow up', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    expect(refusal(() => parseBody(event(bomb, 'application/yaml'))).status).toBe(400);
  });
});

describe('bearer tokens', () => {
  const tokens = [
    { name: 'ops', token: 'ops-token-0123456789', role: 'admin' as const },
    { name: 'watcher', token: 'viewer-token-0123456789', role: 'viewer' as const },
  ];

  it('finds the principal', () => {
    expect(authenticate(event('', undefined, { Authorization: 'Bearer ops-token-0123456789' }), tokens, 'deployer')).toEqual({ name: 'ops', role: 'admin' });
  });

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope-nope-nope-nope' }],
    ['another scheme', { authorization: 'Basic b3BzOm9wcw==' }],
  ])('401 for %s', (_name, headers) => {
    expect(refusal(() => authenticate(event('', undefined, headers), tokens, 'viewer')).status).toBe(401);
  });

  it('403 naming the missing role', () => {
    const error = refusal(() => authenticate(event('', undefined, { authorization: 'Bearer viewer-token-0123456789' }), tokens, 'deployer'));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/deployer role/);
  });
});
