import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isImkError } from '@imk/errors';
import { measureSamplePeak } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemucsEngine, parseDemucsProgress } from '../src/engines/demucs.ts';
import { ffmpeg, makeTempDir, musicLikeFile } from './audio-fixtures.ts';
import { describeEngineConformance } from './engine-conformance.ts';

// An executable STAND-IN for demucs (see its header): demucs and its weights are not installed here.
const STAND_IN = fileURLToPath(new URL('./fixtures/demucs-stand-in.mjs', import.meta.url));

describeEngineConformance('demucs (stand-in)', () => createDemucsEngine({ command: STAND_IN }));

describe('demucs engine', () => {
  let dir = '';
  let cleanup: () => Promise<void> = () => Promise.resolve();
  let input = '';
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir());
    input = join(dir, 'song.flac');
    await musicLikeFile(input, { seconds: 2 });
  });
  afterAll(() => cleanup());

  it('passes model, device, segment, shifts, --float32 and -o as separate arguments', async () => {
    const argsFile = join(dir, 'args.json');
    process.env.DEMUCS_STAND_IN_ARGS_FILE = argsFile;
    try {
      const engine = createDemucsEngine({
        command: STAND_IN,
        model: 'htdemucs_ft',
        device: 'cpu',
        segment: 7,
        shifts: 2,
        extraArgs: ['-j', '2'],
      });
      const workDir = join(dir, 'args');
      await mkdir(workDir);
      await engine.separate({ input, workDir });
      const argv = JSON.parse(await readFile(argsFile, 'utf8')) as string[];
      expect(argv.slice(0, 11)).toEqual([
        '-n',
        'htdemucs_ft',
        '-d',
        'cpu',
        '--segment',
        '7',
        '--shifts',
        '2',
        '--float32',
        '-o',
        join(workDir, 'demucs', 'out'),
      ]);
      expect(argv.slice(11)).toEqual(['-j', '2', join(workDir, 'demucs', 'in', 'mixture.flac')]);
      expect(engine.params).toMatchObject({ model: 'htdemucs_ft', segment: 7, shifts: 2 });
    } finally {
      delete process.env.DEMUCS_STAND_IN_ARGS_FILE;
    }
  });

  it('separates the song it checked, even when the song is swapped for a link to another file as demucs starts', async () => {
    // Before, demucs got a link to the song's name: a song swapped meanwhile for a link to another file
    // (here: silence) was what demucs read and separated. Its link now leads to the descriptor checked.
    const song = join(dir, 'swapped.flac');
    await musicLikeFile(song, { seconds: 2 });
    await ffmpeg('-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=stereo', '-t', '2', join(dir, 'secret.flac'));
    const wrapper = join(dir, 'demucs-swapping');
    await writeFile(
      wrapper,
      `#!/bin/sh\nmv '${song}' '${song}.aside'\nln -s '${join(dir, 'secret.flac')}' '${song}'\n` +
        `node '${STAND_IN}' "$@"\nrc=$?\nrm '${song}'\nmv '${song}.aside' '${song}'\nexit $rc\n`,
    );
    await chmod(wrapper, 0o755);
    const workDir = join(dir, 'swap');
    await mkdir(workDir);
    const result = await createDemucsEngine({ command: wrapper }).separate({ input: song, workDir });
    let loudest = 0;
    for (const stem of STEM_NAMES) loudest = Math.max(loudest, await measureSamplePeak(result.stems[stem]));
    expect(loudest).toBeGreaterThan(0.05);
  }, 60_000);

  it('says how to install demucs when the command is missing', async () => {
    const engine = createDemucsEngine({ command: 'demucs-not-installed-here' });
    const workDir = join(dir, 'missing');
    await mkdir(workDir);
    const error = await engine.separate({ input, workDir }).catch((e: unknown) => e);
    expect(isImkError(error, 'ENGINE_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain('pip install demucs');
  });

  it('reports a demucs crash as ENGINE_FAILED with the end of its output', async () => {
    process.env.DEMUCS_STAND_IN_FAIL = '1';
    try {
      const workDir = join(dir, 'crash');
      await mkdir(workDir);
      const error = await createDemucsEngine({ command: STAND_IN })
        .separate({ input, workDir })
        .catch((e: unknown) => e);
      expect(isImkError(error, 'ENGINE_FAILED')).toBe(true);
      expect((error as Error).message).toContain('CUDA out of memory');
    } finally {
      delete process.env.DEMUCS_STAND_IN_FAIL;
    }
  });

  it('rejects invalid options up front with their dotted path', () => {
    expect(() => createDemucsEngine({ device: 'tpu' as 'cpu' })).toThrow(/demucs\.device/);
    expect(() => createDemucsEngine({ segment: -1 })).toThrow(/demucs\.segment/);
  });

  it('reads the last tqdm percentage of its progress output', () => {
    expect(
      parseDemucsProgress('\r  0%|          | 0.0/5.85\r 45%|████▌     | 2.6/5.85 [00:01<00:01'),
    ).toBeCloseTo(0.45);
    expect(parseDemucsProgress('Separating track x.wav\n')).toBeUndefined();
  });
});
