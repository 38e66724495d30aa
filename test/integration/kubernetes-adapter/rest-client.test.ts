/**
 * The adapter's apiserver client against a loopback HTTP server that misbehaves the way pooled
 * connections do after a Lambda thaw: a reused connection reset before any answer is sent again once
 * on a fresh one; a reset of a fresh connection, or an error status, is reported as it is.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiException } from '@kubernetes/client-node';
import { createKubeClients, type ApiConnection } from '../../../lib/adapters/kubernetes/rest-client.js';
import { translate } from '../../../lib/adapters/kubernetes/errors.js';

let server: Server | undefined;
afterEach(async () => { await new Promise((r) => server?.close(r) ?? r(undefined)); server = undefined; });

/** Starts a server; `handle` gets the request's number on its connection (1 = first). */
async function serve(handle: (req: IncomingMessage, res: ServerResponse, onConnection: number) => void): Promise<{ conn: ApiConnection; requests: string[] }> {
  const requests: string[] = [];
  const counts = new WeakMap<Socket, number>();
  server = createServer((req, res) => {
    const n = (counts.get(req.socket) ?? 0) + 1;
    counts.set(req.socket, n);
    requests.push(`${req.method} ${req.url} #${n}`);
    handle(req, res, n);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { conn: { server: `http://127.0.0.1:${port}`, timeoutMs: 2_000, requestOptions: async () => ({ headers: { authorization: 'Bearer t' } }) }, requests };
}

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop', resourceVersion: '7' }, futureField: { kept: true } };

describe('apiserver REST client', () => {
  it('sends a request again once when its pooled connection was closed behind its back', async () => {
    // The second request on any connection finds it dead, as after a thaw.
    const { conn, requests } = await serve((_req, res, n) => {
      if (n > 1) { res.socket?.destroy(); return; }
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(deployment));
    });
    const kube = createKubeClients('loopback', conn);

    const first = await kube.deployments.read({ namespace: 'shop', name: 'web' });
    const second = await kube.deployments.read({ namespace: 'shop', name: 'web' });

    expect(second).toEqual(first);
    expect(requests).toEqual(['GET /apis/apps/v1/namespaces/shop/deployments/web #1', 'GET /apis/apps/v1/namespaces/shop/deployments/web #2', 'GET /apis/apps/v1/namespaces/shop/deployments/web #1']);
  });

  it('does not resend when a fresh connection is reset: that is an unreachable apiserver', async () => {
    const { conn, requests } = await serve((_req, res) => { res.socket?.destroy(); });
    const attempt = createKubeClients('loopback', conn).deployments.read({ namespace: 'shop', name: 'web' });
    const err = await attempt.catch((e: unknown) => e);
    expect(translate('loopback', 'get', { kind: 'Deployment', resource: 'deployments.apps', namespace: 'shop', name: 'web' }, err))
      .toMatchObject({ failure: 'Unavailable', permanent: false });
    expect(requests).toHaveLength(1);
  });

  it('sends objects back exactly as read, fields it has no model for included, and says which patch it sends', async () => {
    const bodies: Array<{ method: string; type: string | undefined; body: unknown }> = [];
    const { conn } = await serve((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => { text += String(d); }).on('end', () => {
        bodies.push({ method: req.method!, type: req.headers['content-type'], body: text ? JSON.parse(text) : undefined });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(deployment));
      });
    });
    const kube = createKubeClients('loopback', conn);
    const read = await kube.deployments.read({ namespace: 'shop', name: 'web' });
    await kube.deployments.replace({ namespace: 'shop', name: 'web', body: read });
    await kube.deployments.patch({ namespace: 'shop', name: 'web', body: { spec: { replicas: 2 } }, patchType: 'strategic' });
    await kube.deployments.delete({ namespace: 'shop', name: 'web', propagationPolicy: 'Background' });

    expect(bodies.map((b) => [b.method, b.type])).toEqual([['GET', undefined], ['PUT', 'application/json'], ['PATCH', 'application/strategic-merge-patch+json'], ['DELETE', 'application/json']]);
    expect(bodies[1]?.body).toEqual(deployment);
    expect(bodies[3]?.body).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  });

  it('turns an error status into ApiException with the Status text, and a hung apiserver into a timeout', async () => {
    const status = { kind: 'Status', code: 404, reason: 'NotFound', message: 'deployments.apps "web" not found', details: { name: 'web', kind: 'deployments' } };
    const { conn } = await serve((req, res) => {
      if (req.url?.includes('hang')) return; // never answers
      res.statusCode = 404;
      res.end(JSON.stringify(status));
    });
    const kube = createKubeClients('loopback', { ...conn, timeoutMs: 300 });

    const missing = await kube.deployments.read({ namespace: 'shop', name: 'web' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiException);
    expect(missing).toMatchObject({ code: 404, body: JSON.stringify(status) });
    const ref = { kind: 'Deployment', resource: 'deployments.apps', namespace: 'shop', name: 'web' };
    expect(translate('loopback', 'get', ref, missing)).toMatchObject({ failure: 'NotFound', permanent: true });

    const hung = await kube.deployments.read({ namespace: 'shop', name: 'hang' }).catch((e: unknown) => e);
    expect(translate('loopback', 'get', { ...ref, name: 'hang' }, hung)).toMatchObject({ failure: 'Unavailable', permanent: false });
  });
});
