// The container image installs with `npm ci --omit=dev`. config-reference.ts imported Prettier (a
// devDependency, used only to format the generated docs) at its top, and `imk doctor` loads it to list the
// config files: in the image, doctor stopped at "Cannot find package 'prettier'". Here every package the
// lock file marks dev-only is hidden from the resolver, as in the image, and doctor must still run.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const IMK = join(REPO, 'packages', 'cli', 'bin', 'imk.js');

let dir = '';
let hideDev = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-omit-dev-'));
  const lock = JSON.parse(await readFile(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean }>;
  };
  const devOnly = Object.entries(lock.packages)
    .filter(([path, entry]) => entry.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path))
    .map(([path]) => path.slice('node_modules/'.length));
  expect(devOnly).toContain('prettier');
  const hooks = join(dir, 'hooks.mjs');
  await writeFile(
    hooks,
    `const DEV = new Set(${JSON.stringify(devOnly)});
export async function resolve(specifier, context, next) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (DEV.has(name)) {
    const error = new Error("Cannot find package '" + name + "' (not installed: npm ci --omit=dev)");
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return next(specifier, context);
}
`,
  );
  hideDev = join(dir, 'hide-dev.mjs');
  await writeFile(
    hideDev,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('imk where npm ci --omit=dev left the devDependencies out (the container image)', () => {
  it('the dev-only packages are really hidden here', async () => {
    const result = await execa(
      process.execPath,
      ['--import', hideDev, '--input-type=module', '-e', "await import('prettier')"],
      { reject: false, cwd: REPO },
    );
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("Cannot find package 'prettier'");
  });

  it('imk doctor runs and lists every config file', async () => {
    const root = join(dir, 'root');
    const result = await execa(process.execPath, ['--import', hideDev, IMK, 'doctor', '--root', root], {
      reject: false,
    });
    expect(result.stderr).not.toContain('Cannot find package');
    expect(result.stdout).toContain(`imk doctor — root ${root}`);
    for (const file of ['instrumental-maker', 'nas-sync', 'web', 'paths', 'notify', 'operations'])
      expect(result.stdout).toContain(`config/${file}.yaml`);
  });
});
