import { mkdir, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@imk/log';
import { runCleanup } from '@imk/ops';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import type { Manifest } from '@imk/protocol';
import { minimalManifest } from '@imk/protocol/testing';
import { EARLIER_WRITER_QUIET_MS, publishOutputs } from '../src/publish-outputs.ts';
import { makeRoot, removeRoot } from './helpers.ts';

// A job published over an outputs/<id>/ folder moves that folder to outputs/.replaced/. Only the earlier
// version's folders with a valid manifest were kept for good: one the earlier version was still writing
// (it wrote manifest.json last, in place), or had left without a manifest (stopped half-way), or whose
// manifest did not validate, went aside as a run of ours, and imk cleanup deleted it after retention.
let root: string;
beforeAll(async () => {
  root = await makeRoot({});
});
afterAll(() => removeRoot(root));

/** Sets every mtime under `dir` (itself included) `ms` into the past: a folder its writer left long ago. */
async function age(dir: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms);
  for (const name of await readdir(dir, { recursive: true })) await utimes(join(dir, name), when, when);
  await utimes(dir, when, when);
}

async function publish(jobId: string): Promise<{ manifest: Manifest; replaced?: string }> {
  const partialDir = join(root, 'outputs', `.${jobId}.partial-test`);
  await mkdir(partialDir, { recursive: true });
  const made = await publishOutputs({
    outputsDir: join(root, 'outputs'),
    jobId,
    partialDir,
    manifest: minimalManifest(jobId),
    stillHeld: () => Promise.resolve(true),
  });
  const manifest = JSON.parse(await readFile(join(made.dir, 'manifest.json'), 'utf8')) as Manifest;
  return { manifest, ...(made.replaced !== undefined && { replaced: made.replaced }) };
}

describe('an outputs/<id>/ folder replaced by a job of the same id', () => {
  it('is kept for good unless it holds a manifest of ours, whatever else it holds', async () => {
    const outputs = join(root, 'outputs');
    // The earlier version's, complete.
    await materializeLegacySample('outputs/pyout_inst_003', join(outputs, 'pyout_inst_003'));
    // Its files written, manifest.json not yet (or never).
    await materializeLegacySample('outputs/pyout_inst_003', join(outputs, 'yt_half_audio'));
    await writeFile(join(outputs, 'yt_half_audio', 'manifest.json'), '{"job_id": "yt_half_au');
    await materializeLegacySample('outputs/pyout_inst_003', join(outputs, 'yt_none_audio'));
    await rm(join(outputs, 'yt_none_audio', 'manifest.json'));
    // Left so, unchanged for longer than the earlier version takes for a song (see the next describe).
    for (const id of ['yt_half_audio', 'yt_none_audio'])
      await age(join(outputs, id), EARLIER_WRITER_QUIET_MS + 60_000);
    // Ours, published before.
    await publish('yt_ours_audio');

    const kept: Record<string, string> = {};
    for (const id of ['pyout_inst_003', 'yt_half_audio', 'yt_none_audio', 'yt_ours_audio']) {
      const { manifest, replaced } = await publish(id);
      expect(replaced, id).toBeDefined();
      kept[id] = replaced!.split('/').at(-1)!;
      if (id === 'yt_ours_audio') {
        expect(kept[id]).not.toMatch(/\.earlier-version$/);
        expect(manifest.warnings).toEqual([]);
      } else {
        expect(kept[id], id).toMatch(new RegExp(`^${id}@\\d{8}T\\d{6}Z\\.earlier-version$`));
        expect(manifest.warnings.join(' '), id).toContain(
          `they are kept, never removed by imk cleanup, in outputs/.replaced/${kept[id]}/`,
        );
      }
    }
    const later = Date.now() + 400 * 24 * 3600 * 1000;
    await runCleanup({ root, logger: createLogger('test', { level: 'silent' }), now: later });
    const left = await readdir(join(outputs, '.replaced'));
    expect(left.sort()).toEqual([kept.pyout_inst_003, kept.yt_half_audio, kept.yt_none_audio].sort());
    expect(
      await readFile(
        join(outputs, '.replaced', kept.yt_none_audio!, 'files/audio/Py Deezer - Only Inst.m4a'),
      ),
    ).toBeInstanceOf(Buffer);
  });
});

// Two publishes of one job within one second (two mixes saved in a row, taken by two hosts) moved the first
// aside to the same `.replaced/<id>@<time>` name: the second move failed (ENOTEMPTY here, EPERM over sshfs)
// and that mix failed for good (seen in remix-multi-host.test.ts).
describe('a job published several times within one second', () => {
  it('keeps each earlier folder under a name of its own', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-05T10:21:42.100Z') });
    try {
      const moved: string[] = [];
      for (let i = 0; i < 4; i++) {
        const { replaced } = await publish('yt_quick_audio');
        if (replaced !== undefined) moved.push(replaced.split('/').at(-1)!);
      }
      expect(moved).toEqual([
        'yt_quick_audio@20261205T102142Z',
        'yt_quick_audio@20261205T102142Z-2',
        'yt_quick_audio@20261205T102142Z-3',
      ]);
      for (const name of moved) {
        const kept = JSON.parse(
          await readFile(join(root, 'outputs', '.replaced', name, 'manifest.json'), 'utf8'),
        );
        expect((kept as Manifest).job_id).toBe('yt_quick_audio');
      }
    } finally {
      vi.useRealTimers();
    }
  });
});

// The earlier version makes outputs/<id>/ first, separates (minutes), then writes its files and manifest.json
// by name. A folder of it without a manifest was moved aside and ours put in its place, so its next writes
// went into our folder, over our files of the same name ("Artist - Title.m4a") and our manifest.json: the
// readers then refused the job (detected, not prevented).
describe('the earlier version still writing outputs/<id>/ when this version publishes the same id', () => {
  it('is left alone: nothing moved or published, the error names the folder, the file and what to do', async () => {
    const outputs = join(root, 'outputs');
    const dir = join(outputs, 'yt_busy_audio');
    await materializeLegacySample('outputs/pyout_inst_003', dir);
    await rm(join(dir, 'manifest.json'));
    const song = join(dir, 'files/audio/Py Deezer - Only Inst.m4a');
    const before = await readFile(song);
    const failure = await publish('yt_busy_audio').then(
      () => undefined,
      (error: unknown) => error as Error & { code?: string },
    );
    expect(failure?.code).toBe('OUTPUTS_BEING_WRITTEN');
    expect(failure?.message).toMatch(/outputs\/yt_busy_audio\/ holds files without a manifest\.json/);
    expect(failure?.message).toContain('outputs/yt_busy_audio/files/audio');
    expect(failure?.message).toContain('imk retry yt_busy_audio');
    // Its folder as it was, nothing of ours in it, nothing of it moved aside.
    expect(await readFile(song)).toEqual(before);
    expect((await readdir(dir)).sort()).toEqual(['files']);
    expect((await readdir(join(outputs, '.replaced'))).some((n) => n.startsWith('yt_busy_audio@'))).toBe(
      false,
    );
    // A manifest.json it is writing in place (half of it so far) is no finished folder either.
    await writeFile(join(dir, 'manifest.json'), '{"job_id": "yt_busy_au');
    await expect(publish('yt_busy_audio')).rejects.toMatchObject({ code: 'OUTPUTS_BEING_WRITTEN' });
    // It finishes (its manifest written last): the folder is its library now, kept for good; ours published.
    await writeFile(
      join(dir, 'manifest.json'),
      await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8'),
    );
    const { replaced } = await publish('yt_busy_audio');
    expect(replaced).toMatch(/yt_busy_audio@\d{8}T\d{6}Z\.earlier-version$/);
    expect(await readFile(join(replaced!, 'files/audio/Py Deezer - Only Inst.m4a'))).toEqual(before);
  });

  it('a manifest it writes later into a folder we published is refused by every reader, saying why and what to do', async () => {
    const { readOutputManifest, describeOutputProblem } = await import('@imk/protocol');
    const outputs = join(root, 'outputs');
    // Ours is published first; the earlier version then processes the same id (it opens the folder by name).
    await publish('yt_late_audio');
    const ours = await readOutputManifest(join(outputs, 'yt_late_audio'));
    expect(ours?.ok && ours.manifest.legacy).toBe(false);
    await materializeLegacySample('outputs/pyout_inst_003', join(outputs, 'yt_late_audio'));
    await writeFile(
      join(outputs, 'yt_late_audio', 'manifest.json'),
      JSON.stringify({
        ...(JSON.parse(
          await readFile(legacySample('outputs/pyout_inst_003/manifest.json'), 'utf8'),
        ) as object),
        job_id: 'yt_late_audio',
      }),
    );
    const read = await readOutputManifest(join(outputs, 'yt_late_audio'));
    expect(read?.ok).toBe(false);
    if (read && !read.ok)
      expect(describeOutputProblem(read)).toMatch(
        /written by the earlier instrumental-maker into a folder this version had published .*stop it, then run the job again \(imk retry yt_late_audio\)/,
      );
    // An earlier-version folder it wrote alone (no marker of ours) is still its library, read as such.
    const alone = await readOutputManifest(join(outputs, 'pyout_inst_003'));
    if (alone !== undefined) expect(alone.ok).toBe(true);
  });
});
