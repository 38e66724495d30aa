/**
 * The only values the adapter takes from @kubernetes/client-node, imported from the files that define
 * them rather than from the package root. The root re-exports everything (watch, exec, attach, cp,
 * port-forward, informers and their ws/tar-fs/stream dependencies) and the package declares no
 * `sideEffects`, so a bundler keeps all of it; deep imports let the tick bundle carry only the
 * configuration, the four API groups a tick calls and the error type. Types still come from the root
 * (they are erased). These files are the very modules the root re-exports, so the classes are the same
 * objects and `instanceof ApiException` holds for errors thrown by either path.
 */
export { KubeConfig } from '@kubernetes/client-node/dist/config.js';
export {
  ObjectAppsV1Api as AppsV1Api, ObjectCoreV1Api as CoreV1Api, ObjectCustomObjectsApi as CustomObjectsApi,
  ObjectNetworkingV1Api as NetworkingV1Api,
} from '@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js';
export { ApiException } from '@kubernetes/client-node/dist/gen/apis/exception.js';
export { PatchStrategy } from '@kubernetes/client-node/dist/patch.js';
export { setHeaderOptions } from '@kubernetes/client-node/dist/middleware.js';
