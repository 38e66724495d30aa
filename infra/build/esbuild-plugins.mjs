/**
 * esbuild plugins shared by deployment (serverless.yml `custom.esbuild.plugins`, loaded by
 * serverless-esbuild with require(), hence plain ESM JavaScript) and `npm run build`.
 *
 * Why: serverless-esbuild bundles each function without code splitting, so the lazy
 * `import('../lib/adapters/kubernetes/registry.js')` in functions/wiring.ts is inlined into every bundle,
 * and the Kubernetes adapter (its REST client, kubeconfig reader and yaml) lands in functions that never
 * talk to a cluster.
 * Only the tick reconciles rollouts against clusters, and only the cluster sync (scheduled, on demand and
 * the admission webhook) lists CanaryDeployment objects; the other HTTP functions need the registered cluster
 * *names* (wiring's LazyClusterRegistry knows them without the client), the dead-letter function marks
 * a rollout RollingBack and leaves the cluster work to the next tick, the sweeper only re-enqueues.
 */
import { dirname, join } from 'node:path';

/** Functions (serverless.yml keys) whose bundle carries the Kubernetes adapter. */
export const KUBERNETES_FUNCTIONS = ['tick', 'clusterSync', 'syncNow', 'admission'];

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
 * other route to @kubernetes/client-node fails the build, so the package (whose generated API layer is
 * about 2 MB minified) cannot creep back in unnoticed.
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
 * Builtins whose ESM facade costs more than the module: `import … from 'node:http'` makes Node build an
 * ES module namespace of every export, and reading node:http's lazy `WebSocket` getter while doing so loads
 * Node's internal undici (about 30 ms of a cold start, against 4 ms for `require('node:http')`); node:process
 * and node:https cost 7 ms and 3 ms more than their require. The AWS SDK's HTTP handler imports node:http
 * and node:https as ES modules, so every function paid it. Such imports now go through a CommonJS module
 * that requires the builtin (the bundle's banner defines `require`); esbuild's interop keeps default,
 * named and namespace imports working.
 */
export function builtinsViaRequire() {
  const namespace = 'codedance-builtin-via-require';
  return {
    name: 'codedance-builtins-via-require',
    setup(build) {
      build.onResolve({ filter: /^(node:)?(http|https|process)$/ }, (args) =>
        (args.kind === 'require-call' ? undefined : { path: args.path.replace(/^node:/, ''), namespace }));
      build.onLoad({ filter: /.*/, namespace }, (args) => ({ loader: 'js', contents: `module.exports = require(${JSON.stringify(`node:${args.path}`)});` }));
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
 * - zod's opt-in APIs the engine never calls: `z.compile`/`z.withParser` (the JIT compiler, core/compile.js,
 *   29 KB) and `z.fromJSONSchema` (classic/from-json-schema.js, 12 KB). Nothing inside zod calls them (parse
 *   only checks for a compiled validator by a Symbol.for sentinel, never importing the compiler); the
 *   stubs keep every export, the sentinel and the error classes, and the functions throw if called.
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
      const zodStub = (file, contents) => (args) => (/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), file), namespace: 'codedance-zod-unused', pluginData: contents }
        : undefined);
      const unused = (api) => `() => { throw new Error(${JSON.stringify(`zod's ${api} is not bundled (infra/build/esbuild-plugins.mjs trimUnusedData)`)}); }`;
      build.onResolve({ filter: /^\.\/compile\.js$/ }, zodStub('compile.js', `
        export const INVALID = Symbol.for("zod.compile.invalid");
        export class ZodCompileAsyncError extends Error {}
        export class ZodCompileUnsupportedError extends Error {}
        export const compile = ${unused('compile')};
        export const withParser = ${unused('withParser')};
        export const compileFn = ${unused('compileFn')};`));
      build.onResolve({ filter: /^\.\/from-json-schema\.js$/ }, zodStub('from-json-schema.js', `export const fromJSONSchema = ${unused('fromJSONSchema')};`));
      build.onLoad({ filter: /.*/, namespace: 'codedance-zod-unused' }, (args) => ({ loader: 'js', contents: args.pluginData }));
      build.onResolve({ filter: /^mime-db$/ }, (args) => ({ path: args.path, namespace: 'codedance-mime-db' }));
      build.onLoad({ filter: /.*/, namespace: 'codedance-mime-db' }, () => ({ loader: 'js', contents: 'module.exports = {};' }));
    },
  };
}

/**
 * Adapters a function never calls, per serverless.yml function: wiring.ts (the one composition root)
 * still imports and constructs every adapter in every function, so without this each bundle carries all
 * of them, and with them axios and its dependencies (about 130 KB minified).
 *
 * Each entry names the module, the classes it exports, the functions that keep the real module
 * (`keepIn`; or, the other way round, the only functions that get the stub: `stubIn`) and the modules
 * that call its methods (`callers`). Everywhere else the module becomes a stub
 * with the same exports: the classes construct (getDependencies() still builds), and any method call
 * throws `<adapter> is not bundled into function <name>`. The `callers` make the table check itself: if
 * a caller is ever bundled into a function that has the stub, the build fails, so a new call path
 * cannot silently reach a stub. Why each entry is safe (call paths read in lib/ and functions/):
 * - PrometheusMetricsSource: `deps.metrics` is read only by lib/app/reconcile-rollout.ts (the tick).
 *   HTTP routes, the sweeper, the dead-letter and release functions never measure.
 * - HttpGateHookCaller: `deps.gateHooks` is called only by lib/app/call-gate-hooks.ts (callGateHooks,
 *   announceEnd), which only reconcile-rollout.ts imports (the tick).
 * - HttpNotificationSender: the sender is only used by deliverNotification (lib/app/deliver-notification.ts),
 *   which only functions/queue/notify.ts calls; the others only enqueue (QueueingNotifier, SQS). The callback
 *   function builds the delivery dependencies for their claims store but never sends.
 * - SlackApi: postMessage is only called by SlackApprovalNotifier for `ApprovalRequested` events, which only
 *   lib/domain/decide.ts records (the tick's decision; actions, starts and dead-lettering never do);
 *   respond/usergroupMembers only by functions/http/slack-interactions.ts.
 * - @aws-sdk/client-sqs, in the read-only functions: the SQS client is only sent to by SqsTickQueue
 *   (`deps.queue.schedule`, called by lib/app/schedule-tick.ts and reconcile-rollout.ts) and by
 *   QueueingNotifier (`deps.notifier.notify`, called only through lib/app/notify.ts). The rollout and
 *   release reads (lib/app/query-rollouts.ts, query-releases.ts), whoami, openapi and dashboard bundle
 *   none of these; the guard fails the build if one ever does.
 * yaml stays where it is: only lib/http/parse-body.ts imports it, and only routes that take a body
 * (create/act) import parse-body; the GET routes already go without it.
 */
export const UNUSED_ADAPTERS = [
  {
    adapter: 'PrometheusMetricsSource', module: /adapters\/prometheus\/metrics-source\.js$/, exports: ['PrometheusMetricsSource'],
    keepIn: ['tick'], callers: [/lib\/app\/reconcile-rollout\.ts$/],
  },
  {
    adapter: 'HttpGateHookCaller', module: /adapters\/webhooks\/gate-hook-client\.js$/, exports: ['HttpGateHookCaller'],
    keepIn: ['tick'], callers: [/lib\/app\/call-gate-hooks\.ts$/],
  },
  {
    adapter: 'HttpNotificationSender', module: /adapters\/notifications\/http-sender\.js$/, exports: ['HttpNotificationSender', 'NotificationRejectedError'],
    keepIn: ['notify'], callers: [/functions\/queue\/notify\.ts$/],
  },
  {
    adapter: 'SlackApi', module: /adapters\/slack\/slack-api\.js$/, exports: ['SlackApi'],
    keepIn: ['tick', 'slackInteractions'], callers: [/lib\/domain\/decide\.ts$/, /functions\/http\/slack-interactions\.ts$/],
  },
  {
    // The SDK client itself, because wiring.ts constructs it directly; stubbed only where listed (stubIn).
    adapter: 'The SQS client', module: /^@aws-sdk\/client-sqs$/,
    exports: ['SQSClient', 'SendMessageCommand', 'SendMessageBatchCommand', 'GetQueueUrlCommand'],
    stubIn: ['openapi', 'whoami', 'dashboard', 'listRollouts', 'getRollout', 'getRolloutEvents', 'verifyRolloutEvents', 'listReleases', 'getRelease', 'getReleaseEvents'],
    callers: [/lib\/app\/schedule-tick\.ts$/, /lib\/app\/reconcile-rollout\.ts$/, /lib\/app\/notify\.ts$/],
  },
];

/** An entry is stubbed in the functions it lists in `stubIn`, or else in every function not in `keepIn`. */
const stubbedIn = (entry, name) => (entry.stubIn ? entry.stubIn.includes(name) : !entry.keepIn.includes(name));

/** A module with the adapter's exports whose classes construct and whose every method call throws. */
function stubSource(entry, functionName) {
  const message = `${entry.adapter} is not bundled into function ${functionName} (infra/build/esbuild-plugins.mjs UNUSED_ADAPTERS)`;
  const classes = entry.exports.map((name) => `export const ${name} = unbundled(${JSON.stringify(name)});`).join('\n');
  return `
    const message = ${JSON.stringify(message)};
    const fail = () => { throw new Error(message); };
    // Any property but the ones the language itself probes (await's "then", symbols) is a method that throws.
    const trap = { get: (target, key) => (typeof key === 'symbol' || key === 'then' || key in Object.prototype ? Reflect.get(target, key) : fail) };
    function unbundled(name) {
      const Stub = class { constructor() { return new Proxy(this, trap); } };
      Object.defineProperty(Stub, 'name', { value: name });
      return Stub;
    }
    ${classes}
  `;
}

/**
 * Replaces, in a bundle of the serverless.yml functions `functionNames` (one when packaged individually),
 * every UNUSED_ADAPTERS module none of them keeps (see the table for why each is safe), and fails the build
 * if one of that adapter's callers is bundled beside its stub.
 */
export function unusedAdaptersStubbed(functionNames, table = UNUSED_ADAPTERS) {
  const stubbed = functionNames.length === 0 ? [] : table.filter((entry) => functionNames.every((name) => stubbedIn(entry, name)));
  const where = functionNames.join(', ');
  return {
    name: 'codedance-unused-adapters-stubbed',
    setup(build) {
      stubbed.forEach((entry, index) => {
        const namespace = `codedance-unbundled-${index}`;
        build.onResolve({ filter: entry.module }, (args) => ({ path: args.path, namespace }));
        build.onLoad({ filter: /.*/, namespace }, () => ({ loader: 'js', contents: stubSource(entry, where) }));
        for (const caller of entry.callers) {
          build.onLoad({ filter: caller }, (args) => ({
            errors: [{ text: `${args.path} calls ${entry.adapter}, which is a stub in function ${where}: ${entry.stubIn ? 'take the function out of its stubIn' : 'add the function to its keepIn'} in infra/build/esbuild-plugins.mjs UNUSED_ADAPTERS` }],
          }));
        }
      });
    },
  };
}

/**
 * The serverless.yml functions whose handlers are this build's entries. None (an entry no function
 * names) means no stub at all: an unknown bundle keeps every adapter real.
 */
export function functionsOfEntries(entryPoints, functions) {
  const entries = entryPaths(entryPoints).map(withoutExtension);
  return Object.entries(functions).filter(([, fn]) => fn?.handler && entries.includes(handlerBase(fn.handler))).map(([name]) => name);
}

/** serverless-esbuild calls this with the Serverless instance: the plugin list for every function. */
export default function plugins(serverless) {
  const functions = serverless.service.functions ?? {};
  const handlers = KUBERNETES_FUNCTIONS.map((name) => {
    const fn = functions[name];
    if (!fn?.handler) throw new Error(`infra/build/esbuild-plugins.mjs: KUBERNETES_FUNCTIONS names "${name}", which serverless.yml does not define`);
    return handlerBase(fn.handler);
  });
  // Resolved per build: which function a build is for is known only from its entry points.
  const perFunction = {
    name: 'codedance-unused-adapters-per-function',
    setup: (build) => unusedAdaptersStubbed(functionsOfEntries(build.initialOptions.entryPoints, functions)).setup(build),
  };
  return [kubernetesOnlyWhereUsed(handlers), perFunction, trimUnusedData(), builtinsViaRequire()];
}
