import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { runCleanup } from '@imk/ops';
import type { Manifest } from '@imk/protocol';
import { minimalManifest } from '@imk/protocol/testing';
import { publishOutputs } from '../src/publish-outputs.ts';
import { makeRoot, removeRoot } from './helpers.ts';

// A user keeps their own files in a job's folder (notes.txt, an edit of their own beside the variants, a
// folder of lyrics). A re-run or a saved mix publishes the job again: the earlier folder went to
// outputs/.replaced/ whole, their files with it, and imk cleanup deleted it after retention.
let root: string;
let outputs: string;
beforeAll(async () => {
  root = await makeRoot({});
  outputs = join(root, 'outputs');
});
afterAll(() => removeRoot(root));

const artifact = (name: string): Manifest['artifacts'][number] => ({
  kind: 'audio',
  variant: 'instrumental',
  label: 'Instrumental',
  path: `files/audio/${name}`,
  codec: 'aac',
  container: 'm4a',
  duration_sec: 1,
  sha256: 'b'.repeat(64),
  bytes: 4,
});

/** Publishes job `jobId` with the variants `names` (each file's text: `run`), as the worker does. */
async function publish(jobId: string, names: string[], run: string) {
  const partialDir = join(outputs, `.${jobId}.partial-test`);
  await mkdir(join(partialDir, 'files/audio'), { recursive: true });
  for (const name of names) await writeFile(join(partialDir, 'files/audio', name), run);
  const made = await publishOutputs({
    outputsDir: outputs,
    jobId,
    partialDir,
    manifest: minimalManifest(jobId, { artifacts: names.map(artifact) }),
    stillHeld: () => Promise.resolve(true),
  });
  const manifest = JSON.parse(await readFile(join(made.dir, 'manifest.json'), 'utf8')) as Manifest;
  return { dir: made.dir, replaced: made.replaced!, manifest };
}

describe('a job published again over a folder holding files imk did not write', () => {
  it('keeps them in the job folder, as they were (a file, a folder, a link, a FIFO), and takes only its own files aside', async () => {
    const first = await publish('keep_notes', ['A - T.m4a'], 'run1');
    await writeFile(join(first.dir, 'notes.txt'), 'my notes');
    await writeFile(join(first.dir, 'files/audio/A - T (my edit).m4a'), 'mine');
    await mkdir(join(first.dir, 'lyrics'));
    await writeFile(join(first.dir, 'lyrics/words.txt'), 'la la');
    await symlink('/etc', join(first.dir, 'etc-link'));
    execFileSync('mkfifo', [join(first.dir, 'pipe')]);

    const second = await publish('keep_notes', ['A - T.m4a'], 'run2');
    expect(await readFile(join(second.dir, 'files/audio/A - T.m4a'), 'utf8')).toBe('run2');
    expect(await readFile(join(second.dir, 'notes.txt'), 'utf8')).toBe('my notes');
    expect(await readFile(join(second.dir, 'files/audio/A - T (my edit).m4a'), 'utf8')).toBe('mine');
    expect(await readFile(join(second.dir, 'lyrics/words.txt'), 'utf8')).toBe('la la');
    expect(await readlink(join(second.dir, 'etc-link'))).toBe('/etc');
    expect((await lstat(join(second.dir, 'pipe'))).isFIFO()).toBe(true);
    expect(second.manifest.warnings).toEqual([]);
    // Only what imk wrote went aside.
    expect((await readdir(second.replaced, { recursive: true })).sort()).toEqual(
      ['.imk-published.json', 'files', 'files/audio', 'files/audio/A - T.m4a', 'manifest.json'].sort(),
    );
  });

  it("takes its own files aside also when the share spells their names in NFD (macOS): they are no user's", async () => {
    const nfc = 'Bj\u00f6rk - T.m4a';
    const first = await publish('keep_nfd', [nfc], 'run1');
    const { rename } = await import('node:fs/promises');
    await rename(join(first.dir, 'files/audio', nfc), join(first.dir, 'files/audio', nfc.normalize('NFD')));
    const second = await publish('keep_nfd', [nfc], 'run2');
    expect(await readdir(join(second.dir, 'files/audio'))).toEqual([nfc]);
    expect(second.manifest.warnings).toEqual([]);
  });

  it('keeps one whose name the new outputs take in .replaced/, says so in the manifest, and cleanup never removes that folder', async () => {
    const first = await publish('keep_clash', ['A - T.m4a'], 'run1');
    // The user's file has the name a saved mix then takes.
    await writeFile(join(first.dir, 'files/audio/A - T (karaoke).m4a'), 'mine');
    const second = await publish('keep_clash', ['A - T.m4a', 'A - T (karaoke).m4a'], 'run2');
    expect(await readFile(join(second.dir, 'files/audio/A - T (karaoke).m4a'), 'utf8')).toBe('run2');
    const keptIn = second.replaced.split('/').at(-1)!;
    expect(await readFile(join(second.replaced, 'files/audio/A - T (karaoke).m4a'), 'utf8')).toBe('mine');
    expect(second.manifest.warnings).toEqual([
      `outputs/keep_clash/files/audio/A - T (karaoke).m4a was not written by imk, and these outputs have a file of that name: yours is kept in outputs/.replaced/${keptIn}/files/audio/A - T (karaoke).m4a (imk cleanup keeps that folder while it holds it)`,
    ]);
    // A third run: the folder it replaces holds only imk's files, and goes after retention.
    const third = await publish('keep_clash', ['A - T.m4a'], 'run3');

    // A folder an earlier version of imk moved aside with a user's file in it is kept too.
    const older = join(outputs, '.replaced', 'keep_older@20250101T000000Z');
    await mkdir(older, { recursive: true });
    await writeFile(join(older, 'manifest.json'), JSON.stringify(minimalManifest('keep_older')));
    await writeFile(join(older, 'notes.txt'), 'my notes');

    // A link there to a folder elsewhere is not looked into: the link goes, what it leads to stays.
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere, { recursive: true });
    await writeFile(join(elsewhere, 'keep.txt'), 'x');
    await symlink(elsewhere, join(outputs, '.replaced', 'keep_link@20250101T000000Z'));

    const later = Date.now() + 400 * 24 * 3600 * 1000;
    const report = await runCleanup({ root, logger: createLogger('test', { level: 'silent' }), now: later });
    const left = await readdir(join(outputs, '.replaced'));
    expect(left).toContain(keptIn);
    expect(left).toContain('keep_older@20250101T000000Z');
    expect(left).not.toContain(third.replaced.split('/').at(-1));
    expect(await readFile(join(older, 'notes.txt'), 'utf8')).toBe('my notes');
    expect(left).not.toContain('keep_link@20250101T000000Z');
    expect(await readFile(join(elsewhere, 'keep.txt'), 'utf8')).toBe('x');
    expect(report.plan.held.map((h) => h.path).sort()).toEqual([second.replaced, older].sort());
    expect(report.plan.held.find((h) => h.path === older)?.reason).toMatch(
      /^it holds notes\.txt, not written by imk/,
    );
  });
});
