import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFullStack, type FullStack } from '../../infra/local/full-stack.js';
import { startRolloutFromYaml, watchRollout, type ApiTarget } from '../../infra/local/rollout-watch.js';
import { buildDashboard, horizontalOverflow, launchChromium, screenshot, watchConsole } from '../support/browser.js';

/**
 * The dashboard in real Chromium against the full local stack (cluster, myapp behind Istio,
 * Prometheus, the engine): sign in, watch a Manual rollout wait, approve it and see traffic move, see
 * a faulty rollout rolled back with its reason, and check that roles decide which buttons appear.
 */
const token = (): string => randomBytes(18).toString('base64url');
const TOKENS = { admin: token(), deployer: token(), approver: token(), viewer: token() };

let stack: FullStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let dashboard: string;
const admin = (): ApiTarget => ({ url: stack.api.url, token: TOKENS.admin });

// The browser's own log line for the 401 the wrong-token step provokes on purpose.
const EXPECTED_CONSOLE = [/Failed to load resource: the server responded with a status of 401/];

async function signIn(target: Page, secret: string): Promise<void> {
  await target.goto(dashboard);
  await target.getByTestId('token-input').fill(secret);
  await target.getByTestId('login-submit').click();
  await target.getByTestId('whoami').waitFor();
}

async function shownWeight(): Promise<number> {
  return Number((await page.getByTestId('canary-weight').locator('.ant-statistic-content-value').innerText()).replace(/[^\d.]/g, ''));
}

async function post(path: string, secret: string, body: unknown = {}): Promise<{ status: number; body: { error?: { code: string; message: string } } }> {
  const response = await fetch(`${stack.api.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() as { error?: { code: string; message: string } } };
}

describe('dashboard in Chromium', () => {
  beforeAll(async () => {
    const [started] = await Promise.all([
      startFullStack({
        port: 32000 + Math.floor(Math.random() * 1000), stage: `dash${Date.now() % 100000}`, log: () => undefined, offlineOutput: () => undefined,
        env: {
          CODEDANCE_API_TOKEN: TOKENS.admin,
          CODEDANCE_API_TOKENS: JSON.stringify(Object.entries(TOKENS).map(([role, secret]) => ({ name: `e2e-${role}`, token: secret, role }))),
        },
      }),
      buildDashboard(),
    ]);
    stack = started;
    dashboard = `${stack.api.url}/ui/`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    problems = watchConsole(page, EXPECTED_CONSOLE);
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('serves the built app at / and /ui/, with its assets, and answers unknown app paths with index.html', async () => {
    const root = await fetch(`${stack.api.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toMatch(/text\/html/);
    const html = await root.text();
    const script = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${stack.api.url}${script}`);
    expect([asset.status, asset.headers.get('content-type')]).toEqual([200, 'text/javascript; charset=utf-8']);
    // React and antd come as their own long-cached vendor chunks (web/vite.config.ts), each served and under 500 kB.
    const preloads = [...html.matchAll(/rel="modulepreload"[^>]*href="(\/ui\/assets\/[^"]+\.js)"/g)].map(([, path]) => path!);
    expect(preloads.map((path) => /assets\/(.+)-[\w-]{8}\.js$/.exec(path)?.[1])).toEqual(expect.arrayContaining(['react', 'antd', 'antd-deps', 'zod']));
    for (const path of preloads) {
      const chunk = await fetch(`${stack.api.url}${path}`);
      expect([path, chunk.status, chunk.headers.get('cache-control')]).toEqual([path, 200, 'public, max-age=31536000, immutable']);
      expect((await chunk.arrayBuffer()).byteLength, path).toBeLessThan(500 * 1024);
    }
    expect((await fetch(`${stack.api.url}/ui/rollouts/anything`)).headers.get('content-type')).toMatch(/text\/html/);
    expect((await fetch(`${stack.api.url}/ui/assets/missing.js`)).status).toBe(404);
  });

  it('refuses a wrong token with a clear message, then signs in and lists rollouts', async () => {
    await page.goto(dashboard);
    await screenshot(page, 'dashboard-login');
    await page.getByTestId('token-input').fill('not-a-valid-token-at-all');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('login-error').waitFor();
    expect(await page.getByTestId('login-error').innerText()).toMatch(/token is not valid/);

    await signIn(page, TOKENS.admin);
    expect(await page.getByTestId('whoami').innerText()).toContain('admin');
    // The token is in this tab's session storage, nowhere else.
    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([1, 0, '']);
    await page.getByText('Rollouts', { exact: true }).first().waitFor();
    await screenshot(page, 'dashboard-list');
  });

  let manualId: string;

  it('shows a Manual rollout waiting for approval, and Approve moves its weight', async () => {
    const started = await startRolloutFromYaml(admin(), readFileSync('examples/demo/myapp-v2-manual.yaml', 'utf8'));
    manualId = started.id;
    // The list polls by itself: the new rollout appears without a reload.
    await page.getByTestId('rollout-search').locator('input').fill('production');
    await page.locator(`a[href="#/rollouts/${manualId}"]`).click({ timeout: 20_000 });
    await page.getByTestId('awaiting-approval').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('rollout-phase').innerText()).toBe('Paused');
    expect(await shownWeight()).toBe(0);
    await page.getByTestId('step-timeline').waitFor();
    await screenshot(page, 'dashboard-rollout-waiting');

    await page.getByTestId('action-approve').click();
    await page.getByTestId('action-comment').fill('looks good from the dashboard');
    await page.getByTestId('confirm-action').click();
    await expect.poll(shownWeight, { timeout: 30_000, interval: 500 }).toBeGreaterThan(0);
    expect(await shownWeight()).toBe(20);
    await page.locator('[data-testid="audit-event"][data-type="Approved"]').waitFor();
    expect(await page.locator('[data-testid="audit-event"][data-type="Approved"]').innerText()).toContain('looks good from the dashboard');
    // Analyses at 20 % draw the health score and the per-metric charts with their threshold lines.
    await page.locator('[data-testid="metric-errorRate"] [data-threshold="1"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('awaiting-approval').waitFor({ timeout: 60_000 }); // step 2 waits in turn
    await screenshot(page, 'dashboard-rollout-approved');
  });

  it('a viewer sees no action buttons and the API refuses its action with 403; an approver sees only approve and reject', async () => {
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const viewerPage = await other.newPage();
      const viewerProblems = watchConsole(viewerPage);
      await signIn(viewerPage, TOKENS.viewer);
      await viewerPage.goto(`${dashboard}#/rollouts/${manualId}`);
      await viewerPage.getByTestId('awaiting-approval').waitFor();
      expect(await viewerPage.getByTestId('actions').count()).toBe(0);
      expect(await viewerPage.getByRole('button', { name: /approve|reject|abort|pause|resume|promote/i }).count()).toBe(0);
      const refused = await post(`/rollouts/${manualId}/approve`, TOKENS.viewer);
      expect([refused.status, refused.body.error?.code]).toEqual([403, 'Forbidden']);
      expect(refused.body.error?.message).toMatch(/approver role/);

      await viewerPage.getByTestId('logout').click();
      await signIn(viewerPage, TOKENS.approver);
      await viewerPage.goto(`${dashboard}#/rollouts/${manualId}`);
      await viewerPage.getByTestId('actions').waitFor();
      const buttons = await viewerPage.getByTestId('actions').getByRole('button').allInnerTexts();
      expect(buttons.map((b) => b.trim()).sort()).toEqual(['Approve', 'Reject']);
      expect(viewerProblems).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('shows a faulty rollout rolled back with its reason', async () => {
    // One active rollout per target: a deployer aborts the Manual one first.
    expect((await post(`/rollouts/${manualId}/abort`, TOKENS.deployer, { comment: 'make way for the faulty one' })).status).toBe(200);
    await watchRollout(admin(), manualId, () => undefined, 60_000);
    const faulty = await startRolloutFromYaml(admin(), readFileSync('examples/demo/myapp-v2-faulty.yaml', 'utf8'));
    await page.goto(`${dashboard}#/rollouts/${faulty.id}`);
    await page.getByTestId('failure-reason').waitFor({ timeout: 150_000 });
    await expect.poll(() => page.getByTestId('rollout-phase').innerText(), { timeout: 60_000 }).toBe('Failed');
    const reason = await page.getByTestId('failure-reason').innerText();
    expect(reason).toContain('Rolled back: MetricsFailed');
    expect(reason).toMatch(/errorRate|successRate/);
    await page.locator('[data-testid="audit-event"][data-type="RolledBack"]').waitFor();
    expect(await shownWeight()).toBe(0);
    await screenshot(page, 'dashboard-rolled-back');
  });

  it('shows the releases page, and the service × cluster matrix of a release when the API has releases', async () => {
    // Scheduled far ahead, so it only waits: the matrix shows without starting anything in the cluster.
    const release = ['apiVersion: deploy.codedance.io/v1alpha1', 'kind: Release', 'metadata: { name: dashboard-e2e }', 'spec:',
      '  services: [{ targetDeployment: myapp, namespace: production, image: "myapp:v3" }]',
      '  waves: [{ name: first, clusters: [default] }]', '  schedule: { notBefore: "2099-01-01T00:00:00Z" }'].join('\n');
    const created = await fetch(`${stack.api.url}/releases`, { method: 'POST', headers: { authorization: `Bearer ${TOKENS.deployer}`, 'content-type': 'application/yaml' }, body: release });
    // An API without releases answers 404 and the page must say so calmly; otherwise the release is listed.
    expect([201, 404], await created.clone().text()).toContain(created.status);
    await page.getByTestId('nav-releases').click();
    await page.getByTestId('releases-page').waitFor();
    if (created.status === 201) {
      const { id } = await created.json() as { id: string };
      await page.locator(`a[href="#/releases/${id}"]`).waitFor({ timeout: 10_000 });
      await screenshot(page, 'dashboard-releases');
      await page.locator(`a[href="#/releases/${id}"]`).click();
      await page.getByTestId('matrix-cell').first().waitFor();
      expect(await page.getByTestId('release-matrix').innerText()).toMatch(/myapp[\s\S]*Pending/);
    } else {
      await page.getByTestId('releases-unavailable').waitFor();
    }
    await page.waitForTimeout(2500); // one poll later: still no error shown
    expect(await page.getByText('Could not load').count()).toBe(0);
    await screenshot(page, created.status === 201 ? 'dashboard-release' : 'dashboard-releases');
  });

  it('fits 1280×800 and a 390 px phone without horizontal scrolling, with no console errors', async () => {
    for (const route of ['#/rollouts', `#/rollouts/${manualId}`, '#/releases']) {
      await page.goto(`${dashboard}${route}`);
      await page.getByTestId('whoami').waitFor();
      await page.waitForTimeout(500);
      expect(await horizontalOverflow(page), `1280 px: ${route}`).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 390, height: 844 });
    for (const route of ['#/rollouts', '#/releases', `#/rollouts/${manualId}`]) {
      await page.goto(`${dashboard}${route}`);
      await page.getByTestId('whoami').waitFor();
      await page.waitForTimeout(500);
      expect(await horizontalOverflow(page), `390 px: ${route}`).toBeLessThanOrEqual(0);
    }
    await screenshot(page, 'dashboard-phone');
    expect(problems).toEqual([]);
  });
});
