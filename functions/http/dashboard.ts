import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { errorBody, type HttpResult } from '../../lib/http/responses.js';
import { route } from '../../lib/http/route.js';
import { apiTokens } from '../wiring.js';

/**
 * GET / and GET /ui/{proxy+} — the dashboard's static files, built by `npm run build:web` into
 * .build/web (Vite's base is /ui/). Public: the page holds no data; every API call it makes needs a
 * token. Paths without a file fall back to index.html so the app's own routes survive a reload.
 *
 * The directory is CODEDANCE_WEB_DIR, relative to the working directory (default `.build/web`). On
 * Lambda that is /var/task, where serverless.yml's `package.patterns` puts .build/web/** beside the
 * bundle; locally it is the repository root, where `osls offline` runs.
 */
const WEB_DIR = resolve(process.cwd(), process.env.CODEDANCE_WEB_DIR || join('.build', 'web'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.map': 'application/json', '.svg': 'image/svg+xml',
  '.png': 'image/png', '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.txt': 'text/plain; charset=utf-8',
};
const TEXT = /^(text\/|application\/json|image\/svg)/;

async function file(path: string): Promise<HttpResult | undefined> {
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch {
    return undefined;
  }
  // Hashed asset names never change content; index.html must always be fetched fresh.
  const cache = path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
  const text = TEXT.test(type);
  return {
    statusCode: 200,
    headers: { 'content-type': type, 'cache-control': cache, 'x-content-type-options': 'nosniff' },
    body: text ? content.toString('utf8') : content.toString('base64'),
    isBase64Encoded: !text,
  };
}

export const handler = route({ role: 'public', tokens: apiTokens }, async (event) => {
  const requested = normalize(`/${event.pathParameters?.proxy ?? ''}`);
  // normalize() folds `..` away; anything still escaping the directory is refused, not served.
  const target = join(WEB_DIR, requested);
  if (target !== WEB_DIR && !target.startsWith(WEB_DIR + sep)) return errorBody(404, 'NotFound', 'No such file');
  const index = await file(join(WEB_DIR, 'index.html'));
  if (!index) return errorBody(503, 'DashboardNotBuilt', `The dashboard is not built: run \`npm run build:web\` (expected ${join(WEB_DIR, 'index.html')})`);
  if (requested === sep) return index;
  const found = await file(target);
  if (found) return found;
  // A missing asset is a 404; any other path is one of the app's routes.
  return extname(requested) ? errorBody(404, 'NotFound', `No file ${requested} in the dashboard`) : index;
});
