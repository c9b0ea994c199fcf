#!/usr/bin/env node
// Entry shim: runs the TypeScript CLI through tsx's loader, so `npx open-local` works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('./open-local.ts');
