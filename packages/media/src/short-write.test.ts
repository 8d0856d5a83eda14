import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A write that fills the disk part-way (or reaches the file size limit) writes what fits and answers with
// that count; only the next write fails. The WAV writer took the first answer as the whole block: when the
// last block of a file was the one cut short, nothing failed, the header said the full length, and the
// file ended early. On a disk filling up during a job that was read back as "stems and mixture differ in
// length [STEM_LENGTH_MISMATCH]" (the worker and `imk separate` both), or, for a variant, encoded short.
// `ulimit -f` makes the same partial write happen on any filesystem: the writer runs in a child under it.
const writer = fileURLToPath(new URL('./wav-writer.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-short-write-'));
  // One block of 200 stereo frames: 58 + 1,600 bytes, over a 1 KiB limit part-way through the block.
  await writeFile(
    join(dir, 'write.mts'),
    `import { createWavWriter } from ${JSON.stringify(writer)};
process.on('SIGXFSZ', () => undefined);
const w = createWavWriter(process.argv[2], { sampleRate: 44100, channels: 2 });
try {
  await w.write([new Float32Array(200).fill(0.5), new Float32Array(200).fill(0.5)]);
  await w.close();
  console.log('closed');
} catch (error) {
  console.log(String(error instanceof Error ? error.message : error));
}
`,
  );
}, 30_000);
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('a WAV whose last block the disk cuts short', () => {
  it('fails naming the file, instead of closing a file shorter than its header says', async () => {
    const file = join(dir, 'stem.wav');
    const result = await execa(
      'bash',
      ['-c', 'ulimit -f 1; exec node --import tsx "$@"', 'bash', join(dir, 'write.mts'), file],
      { reject: false, all: true },
    );
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(result.stdout.trim()).toBe(
      `cannot write ${file}: the file size limit was reached (ulimit -f, or the filesystem's largest file)`,
    );
    // What fitted is there; the block was not reported as written.
    expect((await stat(file)).size).toBe(1024);
  }, 60_000);
});
