import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { imk, scratchFolder } from './migrate-kit.ts';

// docs/migration.md has a user moving over run `imk sync --dry-run`, then `imk sync --once`, often with the
// earlier compose file's variables still in the environment. Those one passes honoured OUTPUTS_DIR (the
// outputs they read were the earlier version's folder) but, unlike `imk sync` and `imk run`, said nothing
// of it nor of the variables they did not read (NAS_SYNC_ROUTES): the user could not tell why those
// outputs were read, nor that the routes in the environment were ignored. Now every start says so, once.
const scratch = scratchFolder('imk-legacy-sync-once-');

describe("imk sync --once and --dry-run with the earlier version's variables in the environment", () => {
  it.each([['--once'], ['--dry-run']])(
    '%s warns once per variable, naming our setting, and says which it honoured',
    async (flag) => {
      const dir = join(scratch.dir, flag.slice(2));
      const old = join(scratch.dir, `old-${flag.slice(2)}`);
      await mkdir(join(dir, 'config'), { recursive: true });
      await materializeLegacySample('outputs/pyout_inst_003', join(old, 'outputs', 'pyout_inst_003'));
      const env = {
        OUTPUTS_DIR: join(old, 'outputs'),
        NAS_SYNC_ROUTES: '[{"kind":"audio","to":"/mnt/nas/audio"}]',
      };
      const run = await imk(['sync', flag, '--root', dir], env);
      expect(run.exitCode, String(run.all)).toBe(0);
      const warnings = String(run.all)
        .split('\n')
        .filter((line) => line.includes('legacy_variable'))
        .map((line) => JSON.parse(line) as { legacy_variable: string; msg: string });
      expect(warnings.map((w) => w.legacy_variable).sort()).toEqual(['NAS_SYNC_ROUTES', 'OUTPUTS_DIR']);
      expect(warnings.find((w) => w.legacy_variable === 'OUTPUTS_DIR')?.msg).toContain(
        'honoured as config/paths.yaml: outputs',
      );
      expect(warnings.find((w) => w.legacy_variable === 'NAS_SYNC_ROUTES')?.msg).toContain(
        'not read here; our setting is config/nas-sync.yaml',
      );
    },
    60_000,
  );
});
