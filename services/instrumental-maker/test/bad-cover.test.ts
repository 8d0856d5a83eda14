import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '@imk/media';
import { imk, makeCover, makeRoot, makeSong, publishLegacy, readManifest, removeRoot } from './helpers.ts';

// A cover that is not a picture (a thumbnail download cut short or an HTML error page saved as cover.jpg;
// the song itself named as the cover) failed every file's encode with COVER_UNREADABLE: the job was
// archived as failed and the song never made, for want of its artwork. A missing cover was already a
// warning; an unreadable one is now the same: the files are made without a picture and the manifest says
// why, naming the cover. A good cover is still embedded. Real `imk run` over legacy bundles.
let root: string;
let summary: Record<string, unknown>;
let log: string;

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'], retry: { maxAttempts: 1 } });
  const song = join(root, 'song.m4a');
  await makeSong(song, 2, 1);
  const garbage = join(root, 'garbage.jpg');
  await writeFile(garbage, '<html>404 Not Found</html>');
  const good = join(root, 'cover.png');
  await makeCover(good);
  const job = { source_type: 'youtube', artist: 'A', audio_path: 'song.m4a' };
  await publishLegacy(
    root,
    'other',
    { ...job, job_id: 'html_cover', title: 'Html', cover_path: 'cover.jpg' },
    { 'song.m4a': song, 'cover.jpg': garbage },
  );
  await publishLegacy(
    root,
    'other',
    { ...job, job_id: 'song_cover', title: 'Self', cover_path: 'song.m4a' },
    { 'song.m4a': song },
  );
  await publishLegacy(
    root,
    'other',
    { ...job, job_id: 'good_cover', title: 'Good', cover_path: 'cover.png' },
    { 'song.m4a': song, 'cover.png': good },
  );
  // A real picture with 40 MB after it: over COVER_MAX_BYTES. ffprobe reads an image whole, so such a
  // "cover" (up to 2 GB) cost the worker its size in memory at every look, and this one was embedded.
  const huge = Buffer.alloc(40 * 1024 * 1024);
  (await readFile(good)).copy(huge);
  await publishLegacy(
    root,
    'other',
    { ...job, job_id: 'huge_cover', title: 'Huge', cover_path: 'cover.png' },
    { 'song.m4a': song, 'cover.png': huge },
  );
  const result = await imk(['run', '--once', '--root', root]);
  summary = JSON.parse(String(result.stdout || '{}')) as Record<string, unknown>;
  log = String(result.all);
}, 180_000);
afterAll(() => removeRoot(root));

const pictures = async (id: string, file: string) =>
  (await probeMedia(join(root, 'outputs', id, file))).streams.filter((s) => s.type === 'video').length;

describe('a cover that is not a picture', () => {
  it('costs the files their picture, not the job', () => {
    expect(summary, log).toMatchObject({ succeeded: 4, failed: 0 });
  });

  it.each([
    ['html_cover', 'A - Html.m4a', 'cover.jpg'],
    ['song_cover', 'A - Self.m4a', 'song.m4a'],
  ])('%s: the manifest says why, naming the cover; the file has no picture', async (id, file, cover) => {
    const manifest = await readManifest(root, id);
    const warning = manifest.warnings?.find((w) => w.startsWith(`cover_path "${cover}" cannot be used`));
    expect(warning, JSON.stringify(manifest.warnings)).toMatch(/the outputs have no cover$/);
    expect(warning).not.toContain(root);
    expect(await pictures(id, `files/audio/${file}`)).toBe(0);
  });

  it('a cover larger than any picture is not read: the manifest says it is too large', async () => {
    const manifest = await readManifest(root, 'huge_cover');
    const warning = manifest.warnings?.find((w) => w.startsWith('cover_path "cover.png" cannot be used'));
    expect(warning, JSON.stringify(manifest.warnings)).toMatch(
      /too large for its use \(41943040 bytes; at most 33554432 are read here\).*the outputs have no cover$/,
    );
    expect(warning).not.toContain(root);
    expect(await pictures('huge_cover', 'files/audio/A - Huge.m4a')).toBe(0);
  });

  it('a good cover is still embedded', async () => {
    expect(await pictures('good_cover', 'files/audio/A - Good.m4a')).toBe(1);
  });
});
