import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHeartbeat } from '@imk/ops';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { IMK } from './imk-bin.ts';
import { expectValidConfigs, imk, scratchFolder } from './migrate-kit.ts';

// After `imk migrate` with GENERATE_NO_DRUMS_VARIANT=true, a job's no_drums is written as the earlier
// version named it, `Artist - Title (no drums).m4a` (output.suffixes.no_drums). A mix saved from the mixer
// as "no_drums", or under a name written to that same file ("no__drums": a mix's file says its name with
// spaces), would replace the job's own file: the dashboard must refuse it when it is saved, naming
// the field, not queue it for the worker to refuse later. A real worker run on the migrated config, then real
// saves through imk up's dashboard.
const scratch = scratchFolder('imk-migrate-mix-name-');
let root = '';
let up: ReturnType<typeof execa> | undefined;
let url = '';

beforeAll(async () => {
  root = join(scratch.dir, 'root');
  const envFile = join(scratch.dir, 'legacy.env');
  await writeFile(envFile, 'GENERATE_NO_DRUMS_VARIANT=true\nOUTPUT_FORMAT=m4a\n');
  const migrated = await imk(['migrate', '--env', envFile, '--root', root]);
  expect(migrated.exitCode, String(migrated.all)).toBe(0);
  await expectValidConfigs(root);
  await writeFile(join(root, 'config', 'operations.yaml'), 'diskGuard: { enabled: false }\n');
  await materializeLegacySample('bundles/job_leg_wav_001', join(root, 'queues', 'other', 'job_leg_wav_001'));
  await mkdir(join(root, 'outputs'), { recursive: true });
  const run = await imk(['run', 'instrumental-maker', '--once', '--root', root]);
  expect(run.exitCode, String(run.all)).toBe(0);
  up = execa(IMK, ['up', '--root', root, '--only', 'web', '--port', '0'], { reject: false, stdin: 'ignore' });
  for (let i = 0; i < 300 && url === ''; i++) {
    url = (await readHeartbeat(root, 'web'))?.url ?? '';
    if (url === '') await new Promise((r) => setTimeout(r, 100));
  }
  expect(url).toMatch(/^http:\/\//);
}, 180_000);
afterAll(async () => {
  up?.kill('SIGTERM');
  await up;
});

const save = async (variant: string) => {
  const answer = await fetch(`${url}/api/jobs/leg_wav_001/mix`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ variant, stems: { bass: 1 } }),
  });
  return { status: answer.status, body: (await answer.json()) as { error?: string; message?: string } };
};
const queued = async (variant: string) =>
  (await readdir(join(root, 'queues', 'other'))).filter((name) => name.endsWith(`_${variant}`));

describe('a mix named like the migrated no_drums file', () => {
  it.each(['no_drums', 'no__drums'])(
    '"%s" is refused when saved (422 REMIX_NAME_TAKEN), naming the field and the file; nothing is queued',
    async (variant) => {
      const { status, body } = await save(variant);
      expect(status, JSON.stringify(body)).toBe(422);
      expect(body.error).toBe('REMIX_NAME_TAKEN');
      expect(body.message).toMatch(new RegExp(`^variant: the mix "${variant}" would`));
      expect(body.message).toContain('files/audio/Legacy Artist - Sine A (no drums).m4a');
      expect(body.message).toContain('save the mix under another name');
      expect(await queued(variant)).toEqual([]);
    },
  );

  it('"no_drum", our default no_drums name but no file of this job, is saved', async () => {
    const { status, body } = await save('no_drum');
    expect(status, JSON.stringify(body)).toBe(202);
    expect(await queued('no_drum')).toHaveLength(1);
  });
});
