import { createHash } from 'node:crypto';
import { readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { imk, jobDetail, makeRoot, publishV1, removeRoot } from './helpers.ts';

// The earlier version's four stems were cut to the shortest before mixing, meant for a few samples of
// resampling. A stem that ended early (a copy to the NAS that did not finish) cut the whole mix: a mix of a
// 5-s song whose other.wav held 1 s was published as a success, 1 s long. Now the mix fails at once (not
// retried) naming the stem and both lengths, nothing is published, and the earlier folder is unchanged.
let root: string;
const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, retry: { maxAttempts: 3 } });
}, 60_000);
afterAll(() => removeRoot(root));

describe('a mix of an earlier-version output one of whose stems ends early', () => {
  it('fails at once naming that stem and its length, publishing nothing', async () => {
    const out = join(root, 'outputs', 'pyout_audio_001');
    await materializeLegacySample('outputs/pyout_audio_001', out);
    const other = join(out, 'files', 'stems', 'other.wav');
    await execa('ffmpeg', ['-v', 'error', '-i', other, '-t', '1', join(root, 'other-1s.wav')]);
    await rename(join(root, 'other-1s.wav'), other);
    const before = new Map<string, string>();
    for (const file of await readdir(out, { recursive: true }))
      if (file.includes('.')) before.set(file, await sha256(join(out, file)));

    await publishV1(
      root,
      'other',
      {
        job_id: 'remix_short_stem',
        source_type: 'remix',
        artist: 'Py Artist',
        title: 'Py Song',
        remix: { of: 'pyout_audio_001', variant: 'my_mix', stems: { vocals: 1, other: 1 } },
      },
      {},
    );
    const result = await imk(['run', '--once', '--root', root]);
    expect(JSON.parse(String(result.stdout)), String(result.all)).toMatchObject({ succeeded: 0, failed: 1 });
    const detail = await jobDetail(root, 'remix_short_stem');
    expect(detail.errors).toHaveLength(1);
    expect(detail.errors[0]).toMatchObject({ retryable: false });
    expect(detail.errors[0]!.message).toMatch(
      /outputs\/pyout_audio_001\/files\/stems\/other\.wav \(1\.00 s\) is shorter than \S+ \(5\.00 s\).*\[STEM_LENGTHS_DIFFER\]/,
    );
    expect(await readdir(join(root, 'outputs'))).toEqual(['pyout_audio_001']);
    for (const [file, digest] of before) expect(await sha256(join(out, file)), file).toBe(digest);
  }, 120_000);
});
