import { fileURLToPath } from 'node:url';

/** The `imk` command as users run it: bin/imk.js, the TypeScript sources through tsx. */
export const IMK_SOURCE = fileURLToPath(new URL('../bin/imk.js', import.meta.url));

export const IMK_BUNDLE_ENV = 'IMK_TEST_BUNDLE';

/**
 * The `imk` command for tests that run it as a process: the bundle the test run built once (global-setup.ts;
 * the same sources, started without tsx), or bin/imk.js when the tests run without that setup. A test
 * about how the command itself loads (which modules a command imports, running without dev dependencies)
 * or that hands the process TypeScript to import (an `engine.module`) uses IMK_SOURCE.
 */
const bundle = process.env[IMK_BUNDLE_ENV];
export const IMK = bundle === undefined || bundle === 'off' ? IMK_SOURCE : bundle;
