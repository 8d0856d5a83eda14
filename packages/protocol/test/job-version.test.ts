import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, describeProblems, readBundle, validateJob } from '../src/index.ts';

// A job.json of a newer schema_version was read as a version 1 job and processed: docs/protocol.md gives a
// new version to a change its fields cannot say, so the worker may have made something else than asked.
// It is refused as a newer manifest is, with one problem naming the version (upgrade imk); the bundle is
// rejected, kept, and can be retried once imk reads that version.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-job-version-'));
  await writeFile(join(dir, 'a.wav'), 'RIFF');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const job = (schemaVersion: unknown) => ({
  schema_version: schemaVersion,
  job_id: 'v',
  source_type: 'custom',
  audio_path: 'a.wav',
});

describe('a job.json schema_version', () => {
  it('newer than this imk reads is one problem naming it, whatever else the document holds', async () => {
    for (const document of [job(SCHEMA_VERSION + 1), { ...job(7), options: { bit_depth: 'deep' } }]) {
      const result = validateJob(document);
      expect(result).toEqual({
        ok: false,
        problems: [
          {
            file: 'job.json',
            path: 'schema_version',
            message: `schema_version ${document.schema_version as number} is newer than this imk reads (${SCHEMA_VERSION}); upgrade imk`,
          },
        ],
      });
      await writeFile(join(dir, 'job.json'), JSON.stringify(document));
      const bundle = await readBundle(dir);
      expect(bundle.ok).toBe(false);
      if (!bundle.ok)
        expect(describeProblems(bundle.problems)).toBe(
          `job.json: schema_version ${document.schema_version as number} is newer than this imk reads (${SCHEMA_VERSION}); upgrade imk`,
        );
    }
  });

  it('of this version, or absent (the earlier version wrote none), is read', async () => {
    for (const document of [
      job(SCHEMA_VERSION),
      { job_id: 'v', source_type: 'custom', audio_path: 'a.wav' },
    ]) {
      expect(validateJob(document).ok).toBe(true);
      await writeFile(join(dir, 'job.json'), JSON.stringify(document));
      expect((await readBundle(dir)).ok).toBe(true);
    }
    expect(validateJob(job(0)).ok).toBe(false);
  });
});
