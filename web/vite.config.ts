import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The dashboard is served by the API itself under /ui/ (functions/http/dashboard.ts), so every asset URL
 * starts with /ui/ and the app calls the API on its own origin. `npm run dashboard` runs the dev server
 * instead and forwards the API's paths to CODEDANCE_API_URL.
 */
const api = process.env.CODEDANCE_API_URL ?? 'http://127.0.0.1:3000';
const apiPaths = ['/rollouts', '/releases', '/whoami', '/healthz', '/openapi.json'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../.build/web', import.meta.url)),
    emptyOutDir: true,
    rolldownOptions: {
      output: {
        // Vite 8 bundles with rolldown: `codeSplitting.groups` replaces Rollup's manualChunks. Libraries
        // change far less often than the app, so each gets its own long-cached file; antd's own code is
        // split from the rc-* components and style engine it builds on, keeping every chunk under the
        // default 500 kB warning. A group also takes what its modules import, so the groups run from the
        // leaves up (higher priority first): react, zod, antd's dependencies, then antd itself.
        codeSplitting: {
          groups: [
            { name: 'react', test: /node_modules[\\/](react|react-dom|scheduler)[\\/]/, priority: 40 },
            { name: 'zod', test: /node_modules[\\/]zod[\\/]/, priority: 30 },
            { name: 'antd-deps', test: /node_modules[\\/](?!antd[\\/])/, priority: 20 },
            { name: 'antd', test: /node_modules[\\/]antd[\\/]/, priority: 10 },
          ],
        },
      },
    },
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.CODEDANCE_DASHBOARD_PORT ?? 5173),
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: true }])),
  },
});
