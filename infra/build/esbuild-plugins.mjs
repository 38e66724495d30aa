/**
 * esbuild plugins shared by deployment (serverless.yml `custom.esbuild.plugins`, loaded by
 * serverless-esbuild with require(), hence plain ESM JavaScript) and `npm run build`.
 *
 * Why: serverless-esbuild bundles each function without code splitting, so the lazy
 * `import('../lib/adapters/kubernetes/registry.js')` in functions/wiring.ts is inlined into every bundle,
 * and @kubernetes/client-node (about 2 MB minified) lands in functions that never talk to a cluster.
 * Only the tick reconciles rollouts against clusters; the HTTP functions need the registered cluster
 * *names* (wiring's LazyClusterRegistry knows them without the client), the dead-letter function marks
 * a rollout RollingBack and leaves the cluster work to the next tick, the sweeper only re-enqueues.
 */
import { dirname, join } from 'node:path';

/** Functions (serverless.yml keys) whose bundle carries the Kubernetes adapter. */
export const KUBERNETES_FUNCTIONS = ['tick'];

/** `functions/queue/tick.handler` → `functions/queue/tick` (the entry file without extension). */
export const handlerBase = (handler) => handler.slice(0, handler.lastIndexOf('.'));

const withoutExtension = (path) => path.replace(/^\.\//, '').replace(/\.[cm]?[jt]s$/, '');

function entryPaths(entryPoints) {
  if (Array.isArray(entryPoints)) return entryPoints.map((e) => (typeof e === 'string' ? e : e.in));
  return Object.values(entryPoints ?? {});
}

/**
 * In every bundle whose entry is not one of `kubernetesHandlers` (entry paths without extension), the
 * Kubernetes registry module becomes a stub that throws a clear error if a cluster is ever used, and any
 * other route to @kubernetes/client-node fails the build, so the client cannot creep back in unnoticed.
 */
export function kubernetesOnlyWhereUsed(kubernetesHandlers) {
  const allowed = new Set(kubernetesHandlers.map(withoutExtension));
  return {
    name: 'codedance-kubernetes-only-where-used',
    setup(build) {
      const entries = entryPaths(build.initialOptions.entryPoints).map(withoutExtension);
      if (entries.some((entry) => allowed.has(entry))) return;
      const where = entries.join(', ');
      build.onResolve({ filter: /adapters\/kubernetes\/registry\.js$/ }, (args) => ({ path: args.path, namespace: 'codedance-no-kubernetes' }));
      build.onLoad({ filter: /.*/, namespace: 'codedance-no-kubernetes' }, () => ({
        loader: 'js',
        contents: `
          const message = ${JSON.stringify(`The Kubernetes adapter is not bundled into ${where}: only ${[...allowed].join(', ')} drive clusters. Add the function to KUBERNETES_FUNCTIONS in infra/build/esbuild-plugins.mjs if it must.`)};
          export const clusterRegistryConfigSchema = { parse: (value) => value };
          export function createClusterRegistry() { throw new Error(message); }
        `,
      }));
      build.onResolve({ filter: /^@kubernetes\/client-node(\/|$)/ }, (args) => ({
        errors: [{ text: `${args.importer} imports ${args.path}, but ${where} must not carry the Kubernetes client (see infra/build/esbuild-plugins.mjs)` }],
      }));
    },
  };
}

/**
 * Data no function uses, replaced in every bundle (together about 390 KB of each 1.2 MB HTTP bundle):
 * - zod re-exports every locale as `z.locales`; the engine's messages are English (zod configures `en`
 *   itself, from its own import of locales/en.js), so the namespace keeps `en` only: 260 KB.
 * - axios reaches mime-db (every MIME type, 134 KB of JSON) through form-data → mime-types, used only to
 *   guess the type of an uploaded file; the engine never sends multipart bodies, and with an empty table
 *   form-data falls back to application/octet-stream.
 */
export function trimUnusedData() {
  return {
    name: 'codedance-trim-unused-data',
    setup(build) {
      build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'codedance-zod-locales' }
        : undefined));
      build.onLoad({ filter: /.*/, namespace: 'codedance-zod-locales' }, (args) => ({
        loader: 'js', resolveDir: dirname(args.path), contents: "export { default as en } from './en.js';",
      }));
      build.onResolve({ filter: /^mime-db$/ }, (args) => ({ path: args.path, namespace: 'codedance-mime-db' }));
      build.onLoad({ filter: /.*/, namespace: 'codedance-mime-db' }, () => ({ loader: 'js', contents: 'module.exports = {};' }));
    },
  };
}

/** serverless-esbuild calls this with the Serverless instance: the plugin list for every function. */
export default function plugins(serverless) {
  const functions = serverless.service.functions ?? {};
  const handlers = KUBERNETES_FUNCTIONS.map((name) => {
    const fn = functions[name];
    if (!fn?.handler) throw new Error(`infra/build/esbuild-plugins.mjs: KUBERNETES_FUNCTIONS names "${name}", which serverless.yml does not define`);
    return handlerBase(fn.handler);
  });
  return [kubernetesOnlyWhereUsed(handlers), trimUnusedData()];
}
