#!/usr/bin/env node
// The `imk` command. Runs the TypeScript sources through tsx, so no build step is needed (the images do
// the same). The test suite runs a bundle of these sources, built once per run (../test/bundle/build.ts).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv);
