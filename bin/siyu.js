#!/usr/bin/env node
// Siyu runs its TypeScript sources directly through tsx's loader: no separate server build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
