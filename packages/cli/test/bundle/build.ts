import { chmod, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { TEST_SCRIPTS } from './scripts.ts';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));

/**
 * Builds the `imk` command once for a test run, with the scripts tests start as processes (scripts.ts,
 * each `<name>.mjs` beside `imk.mjs`, sharing its chunks): the CLI and the workspace's @imk/* TypeScript bundled
 * with esbuild (each lazy import stays a chunk of its own, loaded when the command needs it), every npm
 * package external, so native modules (onnxruntime-node, better-sqlite3) and package files load from
 * node_modules as they do for bin/imk.js. A real `imk` process spends ~1 s CPU in tsx's loader under
 * Node 20 (resolving and transforming each source file); from the bundle a start costs ~0.4 s.
 *
 * Each source file keeps its own location: `import.meta.url`, `.dirname` and `.filename` are replaced by
 * the file's own path, so files read next to the source (the dashboard's public/, eval sets, packages
 * resolved from a source folder) are found where they are. The bundle is written under the repository's
 * node_modules (so its npm imports resolve there), in a folder of its own per test run.
 */
export async function buildImkBundle(): Promise<{ dir: string; bin: string }> {
  const parent = join(REPO, 'node_modules', '.cache', 'imk-test-cli');
  await mkdir(parent, { recursive: true });
  const dir = await mkdtemp(join(parent, 'run-'));
  // Readable by every user, as the checkout is: a test may run `imk` as another user (cleanup-problems).
  await chmod(dir, 0o755);
  await build({
    entryPoints: {
      imk: fileURLToPath(new URL('./entry.ts', import.meta.url)),
      ...Object.fromEntries(Object.entries(TEST_SCRIPTS).map(([name, path]) => [name, join(REPO, path)])),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'warning',
    plugins: [
      {
        name: 'workspace-sources',
        setup(bundle) {
          // npm packages stay external; only the workspace's own packages are bundled.
          bundle.onResolve({ filter: /^[^./]/ }, (args) =>
            args.path.startsWith('@imk/') ? undefined : { path: args.path, external: true },
          );
          bundle.onLoad({ filter: /\.ts$/ }, async (args) => {
            const source = await readFile(args.path, 'utf8');
            const contents = source
              .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
              .replaceAll('import.meta.dirname', JSON.stringify(dirname(args.path)))
              .replaceAll('import.meta.filename', JSON.stringify(args.path));
            return { contents, loader: 'ts' };
          });
        },
      },
    ],
  });
  const bin = join(dir, 'imk.mjs');
  await chmod(bin, 0o755);
  return { dir, bin };
}
