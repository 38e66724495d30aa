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
    chunkSizeWarningLimit: 2000,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.CODEDANCE_DASHBOARD_PORT ?? 5173),
    proxy: Object.fromEntries(apiPaths.map((path) => [path, { target: api, changeOrigin: true }])),
  },
});
