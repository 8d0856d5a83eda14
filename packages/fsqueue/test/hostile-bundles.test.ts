import { lstat, mkdir, readFile, readdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishTiny, tempRoot } from './helpers.ts';
import { startConsumer, stopAll, type ConsumerProcess } from './processes.ts';

let root: string;
let cleanup: () => Promise<void>;
let queueDir: string;
let outside: string;
const started: ConsumerProcess[] = [];

/** Writes a bundle by hand: `build` fills the .tmp folder, then one rename publishes it as `name`. */
async function handMade(name: string, build: (tmp: string) => Promise<void>): Promise<void> {
  const tmp = join(queueDir, `${name}.tmp`);
  await mkdir(tmp, { recursive: true });
  await build(tmp);
  await rename(tmp, join(queueDir, name));
}

const jobText = (id: string, extra: Record<string, unknown> = {}): string =>
  JSON.stringify({ job_id: id, source_type: 'local', audio_path: 'audio.m4a', ...extra });

/** Bundles with a valid name, each refused with a reason naming the file. */
const CASES: [id: string, reason: RegExp][] = [
  ['fifo_job', /job\.json is a FIFO \(named pipe\), not a regular file/],
  ['zero_job', /job\.json is a symbolic link/],
  ['fifo_media', /audio\.m4a is a FIFO/],
  ['mid_link', /sub\/x\.m4a: sub is a symbolic link that leaves the bundle/],
  ['cover_link', /c\/passwd: c is a symbolic link that leaves the bundle/],
  ['deep_params', /job\.json nests arrays or objects more than 64 levels deep/],
  ['huge_job', /job\.json is too large/],
  ['linked_folder', /job_linked_folder is a symbolic link, not a bundle folder/],
];
const BAD_NAMES = ['job_..', `job_${'a'.repeat(230)}`, 'job_ odd name!', 'job_x@y', 'job_tab\there'];

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot('imk-hostile-'));
  queueDir = join(root, 'queues', 'other');
  outside = join(root, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'x.m4a'), 'outside audio');
  await writeFile(join(outside, 'job.json'), jobText('linked_folder'));
  await writeFile(join(outside, 'audio.m4a'), 'outside audio');
  const audio = (tmp: string) => writeFile(join(tmp, 'audio.m4a'), 'sound');
  await handMade('job_fifo_job', async (tmp) => {
    await audio(tmp);
    await execa('mkfifo', [join(tmp, 'job.json')]);
  });
  await handMade('job_zero_job', async (tmp) => {
    await audio(tmp);
    await symlink('/dev/zero', join(tmp, 'job.json'));
  });
  await handMade('job_fifo_media', async (tmp) => {
    await writeFile(join(tmp, 'job.json'), jobText('fifo_media'));
    await execa('mkfifo', [join(tmp, 'audio.m4a')]);
  });
  await handMade('job_mid_link', async (tmp) => {
    await writeFile(join(tmp, 'job.json'), jobText('mid_link', { audio_path: 'sub/x.m4a' }));
    await symlink(outside, join(tmp, 'sub'));
  });
  await handMade('job_cover_link', async (tmp) => {
    await audio(tmp);
    await writeFile(join(tmp, 'job.json'), jobText('cover_link', { cover_path: 'c/passwd' }));
    await symlink('/etc', join(tmp, 'c'));
  });
  await handMade('job_deep_params', async (tmp) => {
    await audio(tmp);
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const text = jobText('deep_params', { options: { engine_params: '@' } }).replace('"@"', deep);
    await writeFile(join(tmp, 'job.json'), text);
  });
  await handMade('job_huge_job', async (tmp) => {
    await audio(tmp);
    await writeFile(join(tmp, 'job.json'), jobText('huge_job', { title: 'x'.repeat(3 << 20) }));
  });
  await symlink(outside, join(queueDir, 'job_linked_folder'));
  for (const name of BAD_NAMES)
    await handMade(name, (tmp) => writeFile(join(tmp, 'job.json'), jobText('bad')));
  await publishTiny(queueDir, 'good_one');
});
afterAll(async () => {
  await stopAll(started);
  await cleanup();
});

interface Rejection {
  job_id: string;
  problems: { path: string; message: string }[];
}

async function rejectionsByText(): Promise<{ name: string; text: string; doc: Rejection }[]> {
  const dir = join(queueDir, 'rejected');
  const found = [];
  for (const name of await readdir(dir)) {
    const doc = JSON.parse(await readFile(join(dir, name, 'imk-rejection.json'), 'utf8')) as Rejection;
    found.push({ name, doc, text: doc.problems.map((p) => `${p.path}: ${p.message}`).join('\n') });
  }
  return found;
}

describe('hostile bundles', () => {
  it('are refused at once with a reason naming the file; nothing outside is read or written', async () => {
    const consumer = startConsumer(root, { queueDir, consumerId: 'checker', idleExitMs: 1500 });
    started.push(consumer);
    const result = await consumer.child;
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect((await consumer.events()).filter((e) => e.kind === 'completed').map((e) => e.jobId)).toEqual([
      'good_one',
    ]);
    const rejections = await rejectionsByText();
    for (const [id, reason] of CASES) {
      const found = rejections.find((r) => r.doc.job_id === id);
      expect(found, `rejection of ${id}`).toBeDefined();
      expect(found!.text, `rejection of ${id}`).toMatch(reason);
    }
    const said = (name: string) =>
      rejections.find((r) => r.text.includes(`kept as ${name} in this folder`))?.text;
    expect(said('job_x@y')).toContain('"x@y" is not a valid job id: it contains "@";');
    expect(said('job_ odd name!')).toContain('" odd name!" is not a valid job id: it starts with a space;');
    expect(said('job_tab\there')).toContain(
      'is not a valid job id: it contains a control character (U+0009);',
    );
    expect(said(`job_${'a'.repeat(230)}`)).toContain('is not a valid job id: it is 230 bytes long;');
    // Unparseable names: rejected too, each with a reason quoting its name, the entry kept inside.
    for (const name of BAD_NAMES) {
      const found = rejections.find((r) => r.text.includes(`kept as ${name} in this folder`));
      expect(found, `rejection of ${name}`).toBeDefined();
      expect(found!.text).toMatch(/is not job_<id>/);
      // The id named, what is wrong with it, and the whole rule (before: zod's messages, not the value).
      expect(found!.text).toContain('is not a valid job id: it ');
      expect(found!.text).toContain('; a job id is 1 to 200 bytes of text (UTF-8)');
      expect(await readdir(join(queueDir, 'rejected', found!.name))).toContain(name);
    }
    // The linked folder: the link itself is kept (still a link), nothing was written into its target.
    const linked = rejections.find((r) => r.doc.job_id === 'linked_folder')!;
    expect((await lstat(join(queueDir, 'rejected', linked.name, 'job_linked_folder'))).isSymbolicLink()).toBe(
      true,
    );
    expect((await readdir(outside)).sort()).toEqual(['audio.m4a', 'job.json', 'x.m4a']);
    expect((await readdir(queueDir)).filter((name) => name.startsWith('job_'))).toEqual([]);
  }, 60_000);
});
