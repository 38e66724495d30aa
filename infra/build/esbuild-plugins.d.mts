import type { Plugin } from 'esbuild';

export declare const KUBERNETES_FUNCTIONS: string[];
export declare const handlerBase: (handler: string) => string;
export declare function kubernetesOnlyWhereUsed(kubernetesHandlers: string[]): Plugin;
export declare function trimUnusedData(): Plugin;
export default function plugins(serverless: { service: { functions?: Record<string, { handler?: string }> } }): Plugin[];
