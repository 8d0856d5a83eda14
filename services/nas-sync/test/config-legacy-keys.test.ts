import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadNasSyncConfig } from '../src/index.ts';
import { tempRoot, writeConfig } from './helpers.ts';

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(() => t.remove());

const LEGACY_ROUTES = join(
  import.meta.dirname,
  '../../../../shared/legacy-samples/nas-sync.legacy-routes.yaml',
);

it("the earlier project's method: and overwrite: are refused with what replaces them, not a near-miss guess", async () => {
  // The earlier project's routes, with its sync method and overwrite switch written in as it had them.
  const legacy = (await readFile(LEGACY_ROUTES, 'utf8'))
    .replace('  enabled: true\n', '  enabled: true\n  method: rsync\n  overwrite: true\n')
    .replace(
      '      to: ${remoteRoots.audio}/Instrumental\n',
      '      to: ${remoteRoots.audio}/Instrumental\n      method: scp\n      overwrite: false\n',
    );
  await writeConfig(t.root, legacy);
  const error = await loadNasSyncConfig(t.root, {}).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  expect(error?.code).toBe('CONFIG_INVALID');
  const message = error?.message ?? '';
  expect(message).toContain(
    'nasSync.method: unknown setting "method": the earlier version\'s method (rsync, s3, scp, local) is a backend now: define it under backends',
  );
  expect(message).toContain(
    'nasSync.overwrite: unknown setting "overwrite": the earlier version\'s overwrite is conflict now: conflict: replace overwrites',
  );
  expect(message).toContain(
    'nasSync.routes.0.method: unknown setting "method": a route names its destination with backend:',
  );
  expect(message).toContain(
    'nasSync.routes.0.overwrite: unknown setting "overwrite": whether a different file at the destination is overwritten is set once, nasSync.conflict',
  );
  expect(message).not.toMatch(/did you mean|known here/);
});
