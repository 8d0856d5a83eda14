import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { imkInProcess } from '../../test/in-process.ts';
import { expectValidConfigs, scratchFolder } from '../../test/migrate-kit.ts';

// The earlier version's .env as its users wrote it for docker compose, which resolved `${NAME}` in it.
const scratch = scratchFolder('imk-migrate-env-');

describe('imk migrate --env: a .env file as docker compose read it', () => {
  it('resolves ${NAME} references, names the line of each value, and says which variable is set twice', async () => {
    const dir = join(scratch.dir, 'refs');
    const envFile = join(scratch.dir, 'refs.env');
    await writeFile(
      envFile,
      [
        '\uFEFFexport DATA=/srv/imk', // a BOM and `export`, as an editor and a shell habit leave them
        'QUEUE_YOUTUBE_AUDIO=${DATA}/queues/youtube_audio',
        'QUEUE_YOUTUBE_VIDEO=$DATA/queues/youtube_video',
        'QUEUE_OTHER="${DATA}/queues/other"',
        'OUTPUTS_DIR=${OUTPUTS:-/srv/imk/outputs}   # compose default',
        'SAMPLE_RATE=44100',
        'TARGET_LUFS=loud',
        'SAMPLE_RATE=48000',
        'INCOMING=${NOT_SET_ANYWHERE}/incoming',
      ].join('\r\n'),
    );
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(result.exitCode, result.stdout).toBe(0);
    await expectValidConfigs(dir);
    // Before: `queues` and `outputs` were not converted or were written as the text "${OUTPUTS:-…}".
    expect(parseYaml(await readFile(join(dir, 'config', 'paths.yaml'), 'utf8'))).toEqual({
      queues: '/srv/imk/queues',
      outputs: '/srv/imk/outputs',
    });
    const im = parseYaml(await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8')) as {
      output: { sampleRate: number };
    };
    expect(im.output.sampleRate).toBe(48000);
    // An unset reference is never an inbox folder "/incoming" nor "${NOT_SET_ANYWHERE}/incoming".
    await expect(readFile(join(dir, 'config', 'inbox.yaml'), 'utf8')).rejects.toThrow();
    expect(result.stdout).toMatch(/line 9 \(INCOMING\): refers to \$\{NOT_SET_ANYWHERE\}.*not read/);
    // The value that is not usable is found in the file by its line; the one set twice is said.
    expect(result.stdout).toMatch(/TARGET_LUFS=loud \(line 7\)\n\s+TARGET_LUFS="loud" is not a number/);
    expect(result.stdout).toContain(`SAMPLE_RATE is set on lines 6, 8 of ${envFile}: line 8 is used`);
  }, 60_000);
});
