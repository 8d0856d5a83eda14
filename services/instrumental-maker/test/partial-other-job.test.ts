import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mixClaimName, partialDirName } from '@imk/protocol';
import { startOutputs } from '../src/publish-outputs.ts';
import { makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';
import { imkOnHost } from './host-name.ts';

// Job ids may hold ".partial-": the partial folder of job `x.partial-y` (`.x.partial-y.partial-<consumer>`)
// began with job x's prefix (`.x.partial-`), and starting job x removed it, the other job's work in
// progress, and its mix claim (`.x.partial-y.mixing`) with it.
let root: string;
beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'] });
}, 60_000);
afterAll(() => removeRoot(root));

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('starting the outputs of job x', () => {
  it("removes x's own leftovers only, never job x.partial-y's work in progress or mix claim", async () => {
    const outputs = join(root, 'outputs-start');
    const other = join(outputs, partialDirName('x.partial-y', 'host-1'), 'files/audio/song.flac');
    const otherClaim = join(outputs, mixClaimName('x.partial-y'), 'host-1.ab12.lease');
    const leftover = join(outputs, partialDirName('x', 'crashed-host'), 'files/audio/old.flac');
    await put(other, 'the other job, half made');
    await put(otherClaim, '7');
    await put(leftover, 'an earlier attempt of x');

    const partial = await startOutputs(outputs, 'x', 'host-2');

    expect(await readFile(other, 'utf8')).toBe('the other job, half made');
    expect(await readFile(otherClaim, 'utf8')).toBe('7');
    expect((await readdir(outputs)).sort()).toEqual(
      [
        partialDirName('x', 'host-2'),
        partialDirName('x.partial-y', 'host-1'),
        mixClaimName('x.partial-y'),
      ].sort(),
    );
    expect(partial).toBe(join(outputs, partialDirName('x', 'host-2')));
  });
});

// The consumer id is the host's name (and pid): set in a namespace of its own (host-name.ts).
describe('a worker on a host whose name holds ".partial-"', () => {
  it('claims, builds and publishes its job, leaving the other job of a like name alone', async () => {
    await makeSong(join(root, 'song.m4a'), 2);
    await publishV1(
      root,
      'other',
      { job_id: 'song', source_type: 'local', title: 'Song', audio_path: 'audio.m4a' },
      { 'audio.m4a': join(root, 'song.m4a') },
    );
    // Another worker's job `song.partial-w`, being made: its folder starts ".song.partial-w…".
    const other = join(root, 'outputs', partialDirName('song.partial-w', 'elsewhere'), 'files/a.flac');
    await put(other, 'the other job, half made');

    const result = await imkOnHost('w.partial-1', ['run', '--once', '--root', root]);

    expect(JSON.parse(result.stdout), result.stderr).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await readManifest(root, 'song')).job_id).toBe('song');
    expect(await readFile(other, 'utf8')).toBe('the other job, half made');
    const hidden = (await readdir(join(root, 'outputs'))).filter((n) => n.startsWith('.'));
    expect(hidden).toEqual([partialDirName('song.partial-w', 'elsewhere')]);
  }, 120_000);
});
