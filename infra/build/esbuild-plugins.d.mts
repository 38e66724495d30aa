import type { Plugin } from 'esbuild';

export declare const KUBERNETES_FUNCTIONS: string[];
export declare const handlerBase: (handler: string) => string;
export declare function kubernetesOnlyWhereUsed(kubernetesHandlers: string[]): Plugin;
export declare function trimUnusedData(): Plugin;
export declare function builtinsViaRequire(): Plugin;
export default function plugins(serverless: { service: { functions?: Record<string, { handler?: string }> } }): Plugin[];
export type UnusedAdapter = { adapter: string; module: RegExp; exports: string[]; callers: RegExp[] } & ({ keepIn: string[]; stubIn?: never } | { stubIn: string[]; keepIn?: never });
export declare const UNUSED_ADAPTERS: UnusedAdapter[];
export declare function unusedAdaptersStubbed(functionNames: string[], table?: UnusedAdapter[]): Plugin;
export declare function functionsOfEntries(entryPoints: unknown, functions: Record<string, { handler?: string }>): string[];
