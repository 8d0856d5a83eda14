#!/usr/bin/env node
// The `imk` command. Runs the TypeScript sources through tsx, so no build step is needed; a bundled
// build (npm run build -> dist/imk.mjs) exists for containers.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
