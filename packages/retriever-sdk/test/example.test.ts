import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobSchema, readBundle } from '@imk/protocol';

// The example in examples/custom-retriever runs as written: started the way its README says.
const REPO = resolve(import.meta.dirname, '..', '..', '..');
const EXAMPLE = join(REPO, 'examples', 'custom-retriever', 'm3u-retriever.ts');
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'imk-example-'));
  await mkdir(join(work, 'music'));
  const tone = (freq: number, file: string) =>
    execa(
      'ffmpeg',
      ['-v', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${freq}:duration=1`, '-c:a', 'flac', file],
      { stdin: 'ignore' },
    );
  await tone(440, join(work, 'music', 'around.flac'));
  await tone(550, join(work, 'music', 'untagged.flac'));
  await writeFile(
    join(work, 'party.m3u'),
    '#EXTM3U\n#EXTINF:1,Daft Punk - Around the World\nmusic/around.flac\nmusic/untagged.flac\n',
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const run = (args: string[]) =>
  execa(process.execPath, ['--import', 'tsx', EXAMPLE, ...args], {
    reject: false,
    stdin: 'ignore',
    cwd: REPO,
    env: { IMK_LOG_LEVEL: 'warn' },
  });

describe('examples/custom-retriever', () => {
  it('publishes one valid bundle per playlist entry and prints the ids; a second run queues nothing twice', async () => {
    const root = join(work, 'root1');
    const first = await run([join(work, 'party.m3u'), '--root', root]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    const ids = first.stdout.split('\n');
    expect(ids).toHaveLength(2);
    for (const id of ids)
      expect(await readBundle(join(root, 'queues', 'other', `job_${id}`))).toMatchObject({ ok: true });
    const job = JobSchema.parse(
      JSON.parse(await readFile(join(root, 'queues', 'other', `job_${ids[0]}`, 'job.json'), 'utf8')),
    );
    expect(job).toMatchObject({
      artist: 'Daft Punk',
      title: 'Around the World',
      album: 'party',
      audio_path: 'audio.flac',
    });
    // An entry without #EXTINF is titled after its file, as a user would name it: no ".flac".
    const untagged = JobSchema.parse(
      JSON.parse(await readFile(join(root, 'queues', 'other', `job_${ids[1]}`, 'job.json'), 'utf8')),
    );
    expect(untagged).toMatchObject({ artist: 'Unknown Artist', title: 'untagged' });

    const second = await run([join(work, 'party.m3u'), '--root', root]);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(/skipped .*already queued/);
  });

  it('watches a folder of .m3u requests until stopped', async () => {
    const root = join(work, 'root2');
    const drop = join(work, 'drop');
    await mkdir(drop);
    const child = execa(process.execPath, ['--import', 'tsx', EXAMPLE, '--watch', drop, '--root', root], {
      reject: false,
      stdin: 'ignore',
      cwd: REPO,
      env: { IMK_LOG_LEVEL: 'warn' },
    });
    try {
      await writeFile(join(drop, 'good.m3u'), `${join(work, 'music', 'around.flac')}\n`);
      await writeFile(join(drop, 'bad.m3u'), 'music/nothing-here.flac\n');
      const deadline = Date.now() + 30_000;
      while ((await readdir(drop)).sort().join(',') !== 'bad.fail,bad.fail.reason,good.done') {
        if (Date.now() > deadline) throw new Error(`not handled: ${(await readdir(drop)).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      child.kill('SIGTERM');
    }
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(await readFile(join(drop, 'bad.fail.reason'), 'utf8')).toMatch(
      /nothing-here\.flac, which is not a file.*\[ENTRY_MISSING\]/,
    );
    expect(await readdir(join(root, 'queues', 'other'))).toHaveLength(1);
  });
});
