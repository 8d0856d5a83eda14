import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { bundleSongs, readBundle } from '../src/index.ts';

// A job.json written by hand or by a script (`os.path.join(".", name)`) names its files "./a.wav": the
// same file as "a.wav", inside the bundle. It was rejected ("has an empty or "." segment"); what leaves the
// bundle or names no file still is, whatever "./" comes before it.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-dot-paths-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function bundle(name: string, sample: string, edit: (job: Record<string, unknown>) => void) {
  const dir = join(root, 'queues', name);
  await materializeLegacySample(`bundles/${sample}`, dir);
  const job = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
  edit(job);
  await writeFile(join(dir, 'job.json'), JSON.stringify(job));
  return dir;
}

describe('a path of job.json spelt with "./" or "//"', () => {
  it.each([
    ['./a.wav', 'a.wav'],
    ['.//a.wav', 'a.wav'],
    ['././a.wav', 'a.wav'],
  ])(
    "audio_path and files[].path %s are the bundle's %s, in a legacy job and in one with schema_version",
    async (written, plain) => {
      for (const schema_version of [undefined, 1]) {
        const dir = await bundle(
          `job_dot_${schema_version ?? 'legacy'}_${written.length}`,
          'job_leg_wav_001',
          (job) => {
            job.audio_path = written;
            if (schema_version !== undefined) job.schema_version = schema_version;
          },
        );
        // files[] too: its sha256 and size are checked against the file it names.
        const bytes = await readFile(join(dir, plain));
        const sha256 = createHash('sha256').update(bytes).digest('hex');
        const job = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')) as Record<string, unknown>;
        const files = [{ path: written, sha256, bytes: bytes.length }];
        await writeFile(join(dir, 'job.json'), JSON.stringify({ ...job, files }));
        const result = await readBundle(dir);
        expect(result, JSON.stringify(result)).toMatchObject({
          ok: true,
          job: { audio_path: plain, files: [{ path: plain }] },
        });
      }
    },
  );

  it("a cover and a Deezer bundle's audio_files are read the same way", async () => {
    const dir = await bundle('job_dot_deezer', 'job_dz_12345_deemix', (job) => {
      job.audio_files = ['./Track One.m4a'];
      job.cover_path = './cover.jpg';
    });
    const result = await readBundle(dir);
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, job: { cover_path: 'cover.jpg' } });
    if (!result.ok) return;
    const [song] = await bundleSongs(dir, result.job);
    expect(song!.job).toMatchObject({ audio_path: 'files/Track One.m4a', cover_path: 'files/cover.jpg' });

    const nested = await bundle('job_dot_nested', 'job_leg_m4a_002', (job) => {
      job.audio_path = 'media/./b.m4a';
      job.cover_path = './media//cover.jpg';
    });
    await mkdir(join(nested, 'media'));
    const { rename } = await import('node:fs/promises');
    await rename(join(nested, 'b.m4a'), join(nested, 'media', 'b.m4a'));
    await rename(join(nested, 'cover.jpg'), join(nested, 'media', 'cover.jpg'));
    expect(await readBundle(nested)).toMatchObject({
      ok: true,
      job: { audio_path: 'media/b.m4a', cover_path: 'media/cover.jpg' },
    });
  });

  it.each([
    ['./../a.wav', 'contains ".."'],
    ['./a/../a.wav', 'contains ".."'],
    ['/./a.wav', 'absolute path'],
    ['./', 'empty or "." segment'],
    ['.', 'empty or "." segment'],
    ['a.wav/', 'empty or "." segment'],
    ['a.wav/.', 'empty or "." segment'],
  ])('%s is still refused (%s)', async (written, reason) => {
    const dir = await bundle(`job_dot_bad_${encodeURIComponent(written)}`, 'job_leg_wav_001', (job) => {
      job.audio_path = written;
    });
    const result = await readBundle(dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ path: 'audio_path' });
    if (!result.ok) expect(result.problems[0]!.message).toContain(reason);
  });

  it('"./" before a link that leaves the bundle does not let it through', async () => {
    const outside = join(root, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret.wav'), 'x');
    const dir = await bundle('job_dot_link', 'job_leg_wav_001', (job) => {
      job.audio_path = './out/secret.wav';
    });
    await symlink(outside, join(dir, 'out'));
    const result = await readBundle(dir);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]).toMatchObject({ path: 'audio_path' });
  });
});
