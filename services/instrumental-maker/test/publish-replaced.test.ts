import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { runCleanup } from '@imk/ops';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import type { Manifest } from '@imk/protocol';
import { publishOutputs } from '../src/publish-outputs.ts';
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

const manifestOf = (jobId: string): Manifest => ({
  schema_version: 1,
  job_id: jobId,
  source_type: 'youtube',
  artist: 'A',
  album: 'B',
  title: 'C',
  processed_at: new Date().toISOString(),
  artifacts: [],
  stems_generated: false,
  stems_preserved: false,
  input: { sha256: 'a'.repeat(64), duration_sec: 5 },
  engine: { name: 'builtin', version: '1', params: {} },
  timings_sec: {},
  warnings: [],
});

async function publish(jobId: string): Promise<{ manifest: Manifest; replaced?: string }> {
  const partialDir = join(root, 'outputs', `.${jobId}.partial-test`);
  await mkdir(partialDir, { recursive: true });
  const made = await publishOutputs({
    outputsDir: join(root, 'outputs'),
    jobId,
    partialDir,
    manifest: manifestOf(jobId),
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
