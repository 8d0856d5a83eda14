import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isImkError } from '@imk/errors';
import { readWavHeader } from '@imk/media';
import { STEM_NAMES } from '@imk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SeparationEngine } from '../src/engine.ts';
import { decodedFrames, makeTempDir, musicLikeFile } from './audio-fixtures.ts';

/**
 * The suite every separation engine passes (STYLE.md: one conformance suite per pluggable part): four
 * float WAV stems at 44.1 kHz stereo exactly as long as the input, progress up to 1, prompt abort, and a
 * clear error for input that is not audio.
 */
export function describeEngineConformance(
  label: string,
  createEngine: () => SeparationEngine | Promise<SeparationEngine>,
): void {
  describe(`${label}: engine conformance`, () => {
    let dir = '';
    let cleanup: () => Promise<void> = () => Promise.resolve();
    let input = '';
    let inputFrames = 0;

    beforeAll(async () => {
      ({ dir, cleanup } = await makeTempDir());
      // AAC at 48 kHz: the engine must decode, resample and keep the length the decoder gives.
      input = join(dir, 'input song.m4a');
      await musicLikeFile(input, { seconds: 6, sampleRate: 48000, codec: ['-c:a', 'aac', '-b:a', '192k'] });
      inputFrames = await decodedFrames(input);
    });
    afterAll(() => cleanup());

    it('writes four float WAV stems, 44.1 kHz stereo, as long as the input, and reports progress to 1', async () => {
      const engine = await createEngine();
      const workDir = join(dir, 'work-ok');
      await mkdir(workDir);
      const progress: number[] = [];
      const result = await engine.separate({ input, workDir, onProgress: (f) => progress.push(f) });
      expect(result.sampleRate).toBe(44100);
      expect(result.frames).toBe(inputFrames);
      for (const stem of STEM_NAMES) {
        expect(result.stems[stem].startsWith(workDir)).toBe(true);
        const header = await readWavHeader(result.stems[stem]);
        expect({
          stem,
          encoding: header.encoding,
          bits: header.bitsPerSample,
          rate: header.sampleRate,
          channels: header.channels,
        }).toEqual({
          stem,
          encoding: 'float',
          bits: 32,
          rate: 44100,
          channels: 2,
        });
        expect(header.frames).toBe(inputFrames);
      }
      expect(progress.at(-1)).toBe(1);
      expect(progress.every((f, i) => f >= 0 && f <= 1 && (i === 0 || f >= progress[i - 1]!))).toBe(true);
      expect(typeof engine.version).toBe('string');
    });

    it('stops promptly and rejects with ABORTED when its signal fires', async () => {
      const engine = await createEngine();
      const workDir = join(dir, 'work-abort');
      await mkdir(workDir);
      const controller = new AbortController();
      const progress: number[] = [];
      const run = engine.separate({
        input,
        workDir,
        signal: controller.signal,
        // Mid-work, not before it starts: the first report past 0.
        onProgress: (fraction) => {
          progress.push(fraction);
          if (fraction > 0) controller.abort(new Error('test abort'));
        },
      });
      const error = await run.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isImkError(error, 'ABORTED')).toBe(true);
      // Promptly: it stopped with its work unfinished (it never reported 1), however long that took on a
      // busy machine; an engine that ran on to the end before rejecting reported 1 first.
      expect(progress.some((f) => f > 0)).toBe(true);
      expect(Math.max(...progress), progress.join(', ')).toBeLessThan(1);
    });

    it('rejects a file that is not audio with a clear media error naming it', async () => {
      const engine = await createEngine();
      const bad = join(dir, 'not audio.mp3');
      await writeFile(bad, 'this is text, not an mp3\n'.repeat(100));
      const workDir = join(dir, 'work-bad');
      await mkdir(workDir);
      const error = await engine.separate({ input: bad, workDir }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isImkError(error, 'MEDIA_UNREADABLE')).toBe(true);
      expect((error as Error).message).toContain('not audio.mp3');
    });
  });
}
