/**
 * Real Chromium for the dashboard tests: Debian's `chromium` (installed on demand) driven by
 * playwright-core, plus the checks every page must pass (no console errors, no sideways scrolling).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { ensureDebianPackage } from '../../infra/local/system-packages.js';

export const ARTIFACTS = resolve(import.meta.dirname, '..', 'artifacts');
const WEB_INDEX = resolve(import.meta.dirname, '..', '..', '.build', 'web', 'index.html');

/** Builds the dashboard into .build/web with Vite (what `npm run build:web` does). */
export async function buildDashboard(): Promise<void> {
  const { build } = await import('vite');
  await build({ configFile: resolve(import.meta.dirname, '..', '..', 'web', 'vite.config.ts'), logLevel: 'warn' });
  if (!existsSync(WEB_INDEX)) throw new Error(`vite build did not write ${WEB_INDEX}`);
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = await ensureDebianPackage('chromium', 'chromium');
  // --no-sandbox: the tests run as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

/**
 * Collects what the page reports as going wrong: uncaught exceptions and console errors or warnings
 * (React and antd warn through the console). `expected` skips the browser's own lines about HTTP
 * statuses a step provokes on purpose (a wrong token's 401).
 */
export function watchConsole(page: Page, expected: RegExp[] = []): string[] {
  const problems: string[] = [];
  page.on('console', (message: ConsoleMessage) => {
    if (message.type() !== 'error' && message.type() !== 'warning') return;
    const text = message.text();
    if (expected.some((pattern) => pattern.test(text))) return;
    problems.push(`${message.type()}: ${text} (${message.location().url})`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  return problems;
}

/** How far the document is wider than the viewport, in CSS pixels (0 = no horizontal overflow). */
export async function horizontalOverflow(page: Page): Promise<number> {
  // A string runs in the page; the test's own tsconfig has no DOM types.
  return Number(await page.evaluate('Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - window.innerWidth'));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = resolve(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
