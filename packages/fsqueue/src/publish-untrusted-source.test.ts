import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBundle } from './publish.ts';

// The inbox checks a dropped song (a regular file, no link), probes and hashes it, then publishes a bundle
// that copies it. The copy followed links: a song swapped for a link to a file elsewhere on this host after
// the checks (the inbox is a share others write to) had that file queued and separated as the song. A source
// given with the folder it was found in (`within`) is now copied from a descriptor opened the untrusted way
// there; every kind of thing that is not a regular file of that folder is refused naming it, and no bundle
// is published.
let root: string;
let inbox: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-publish-untrusted-'));
  inbox = join(root, 'inbox');
  await mkdir(join(inbox, 'real'), { recursive: true });
  await mkdir(join(root, 'elsewhere'));
  await writeFile(join(root, 'elsewhere', 'secret.m4a'), 'not the song');
  await writeFile(join(inbox, 'song.m4a'), 'the song');
  await writeFile(join(inbox, 'real', 'song.m4a'), 'the song in a folder');
  await symlink(join(root, 'elsewhere', 'secret.m4a'), join(inbox, 'link.m4a'));
  await symlink(join(root, 'elsewhere'), join(inbox, 'sub'));
  execFileSync('mkfifo', [join(inbox, 'fifo.m4a')]);
  await mkdir(join(inbox, 'folder.m4a'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const publish = (id: string, source: string) =>
  publishBundle({
    queueDir: join(root, 'queues', 'other'),
    job: { job_id: id, source_type: 'local', audio_path: 'audio.m4a', title: 'T' },
    files: [{ name: 'audio.m4a', source: join(inbox, source), within: inbox }],
  });

describe('a bundle file copied from a folder someone else writes', () => {
  it.each([
    ['a link to a file elsewhere', 'link', 'link.m4a', /symbolic link/],
    ['a file behind a folder link that leaves the folder', 'sub', 'sub/secret.m4a', /moved out of/],
    ['a FIFO', 'fifo', 'fifo.m4a', /FIFO/],
    ['a folder', 'folder', 'folder.m4a', /folder/],
  ])('%s is refused naming it, and nothing is published', async (_, id, source, why) => {
    const error = (await publish(id, source).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('SOURCE_NOT_FILE');
    expect(error.message).toContain(source);
    expect(error.message).toMatch(why);
    expect(
      (await readdir(join(root, 'queues', 'other')).catch(() => [])).filter((n) => n.includes(id)),
    ).toEqual([]);
  });

  it.each([
    ['a regular file', 'plain', 'song.m4a'],
    ['a regular file in a real sub-folder', 'nested', 'real/song.m4a'],
  ])('%s is copied', async (_, id, source) => {
    const result = await publish(id, source);
    expect(await readFile(join(result.dir, 'audio.m4a'), 'utf8')).toBe(
      await readFile(join(inbox, source), 'utf8'),
    );
  });
});
