#!/usr/bin/env node
// The `imk` command as the test bundle runs it: bin/imk.js without tsx (see build.ts).
import { main } from '../../src/main.ts';

await main(process.argv);
