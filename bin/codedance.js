#!/usr/bin/env node
// Launches the TypeScript CLI through tsx's loader, resolved relative to this file so the command
// works from any directory (and through npm's bin symlink).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../cli/main.ts', import.meta.url).href);
