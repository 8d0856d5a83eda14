import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { imk, scratchFolder } from './migrate-kit.ts';

// `imk jobs` and `imk job` read outputs from OUTPUTS_DIR (the earlier version's variable, still in the
// environment of a user moving over) as `imk sync` does, but said nothing of it: the user saw the earlier
// version's jobs listed with no word of why. Every command reading the paths says it now, as `imk sync`
// does: one warning per variable, naming our setting.
const scratch = scratchFolder('imk-legacy-read-commands-');

describe("imk jobs and imk job with the earlier version's OUTPUTS_DIR in the environment", () => {
  it.each([[['jobs']], [['job', 'pyout_inst_003']], [['sync', 'status']]])(
    'imk %s warns once, naming our setting',
    async (args) => {
      const dir = join(scratch.dir, args.join('-'));
      const old = join(scratch.dir, `old-${args.join('-')}`);
      await mkdir(join(dir, 'config'), { recursive: true });
      await materializeLegacySample('outputs/pyout_inst_003', join(old, 'outputs', 'pyout_inst_003'));
      const run = await imk([...args, '--root', dir], { OUTPUTS_DIR: join(old, 'outputs') });
      expect(run.exitCode, String(run.all)).toBe(0);
      const warnings = String(run.all)
        .split('\n')
        .filter((line) => line.includes('legacy_variable'))
        .map((line) => JSON.parse(line) as { legacy_variable: string; msg: string });
      expect(warnings.map((w) => w.legacy_variable)).toEqual(['OUTPUTS_DIR']);
      expect(warnings[0]?.msg).toContain('honoured as config/paths.yaml: outputs');
    },
    60_000,
  );
});
