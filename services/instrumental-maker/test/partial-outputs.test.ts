import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imk, makeRoot, makeSong, removeRoot } from './helpers.ts';

// A job that fails leaves nothing half-made in outputs/, whichever song of a bundle it failed on: the
// songs of an album bundle are published under their own ids (<id>, <id>-2, …), each built in its own
// partial folder. Real `imk run`.
let root: string;

beforeAll(async () => {
  root = await makeRoot({
    pollMs: 100,
    retry: { maxAttempts: 1, backoffMs: 100 },
    variants: ['instrumental'],
  });
}, 60_000);
afterAll(() => removeRoot(root));

describe('a bundle whose second song cannot be decoded', () => {
  it('fails, and leaves no partial folder in outputs/', async () => {
    const dir = join(root, 'queues', 'other', 'job_album');
    await mkdir(join(dir, 'files'), { recursive: true });
    await makeSong(join(dir, 'files', '01 First.m4a'), 2, 1);
    // Not audio at all, under an audio name.
    await writeFile(join(dir, 'files', '02 Second.m4a'), 'this is not a song\n'.repeat(100));
    await writeFile(
      join(dir, 'job.json'),
      JSON.stringify({
        job_id: 'album',
        source_type: 'deezer',
        artist: 'A',
        title: 'Album',
        audio_files: ['01 First.m4a', '02 Second.m4a'],
      }),
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ failed: 1 });
    const left = (await readdir(join(root, 'outputs'))).filter((n) => n.startsWith('.') && n !== '.replaced');
    expect(left).toEqual([]);
  }, 120_000);
});
