import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { listCompleteJobs, readJobManifest } from './manifests.ts';

let outputs: string;
beforeAll(async () => {
  outputs = await mkdtemp(join(tmpdir(), 'imk-sync-legacy-'));
  for (const id of ['pyout_audio_001', 'pyout_video_002', 'pyout_inst_003'])
    await materializeLegacySample(`outputs/${id}`, join(outputs, id));
});
afterAll(() => rm(outputs, { recursive: true, force: true }));

describe('manifests written by the earlier version', () => {
  it('are read for routing, nulls and all (they were refused before)', async () => {
    const jobs = await listCompleteJobs(outputs);
    expect(jobs.map((job) => job.jobId)).toEqual(['pyout_audio_001', 'pyout_inst_003', 'pyout_video_002']);
    const read = await Promise.all(jobs.map((job) => readJobManifest(job)));
    expect(read.every((r) => r.ok)).toBe(true);
    const video = read[2]!;
    expect(video.ok && video.manifest).toMatchObject({
      legacy: true,
      artist: 'Py Channel',
      artifacts: [
        { kind: 'video', variant: 'source', path: 'files/video/video.mp4', codec: '', sha256: undefined },
      ],
    });
    const audio = read[0]!;
    expect(audio.ok && audio.manifest.artifacts.map((a) => `${a.kind}/${a.variant}`)).toEqual([
      'audio/instrumental',
      'audio/no_drums',
      'audio/drums_only',
      'stems/bass',
      'stems/drums',
      'stems/other',
      'stems/vocals',
    ]);
  });
});
