// What tests of any package share about the two documents (`@imk/protocol/testing`).
import { ManifestSchema, type Manifest } from '../src/index.ts';

/**
 * Nothing in it to speak of: no artifacts, the builtin engine, a fixed time. Checked by ManifestSchema as
 * this module loads, so a schema change that makes it invalid fails here rather than in a reader under test.
 */
const MINIMAL = ManifestSchema.parse({
  schema_version: 1,
  job_id: 'job',
  source_type: 'local',
  artist: 'Artist',
  album: 'Album',
  title: 'Title',
  processed_at: '2026-01-01T00:00:00Z',
  artifacts: [],
  stems_generated: true,
  stems_preserved: false,
  input: { sha256: 'a'.repeat(64), duration_sec: 1 },
  engine: { name: 'builtin', version: '1', params: {} },
  timings_sec: {},
  warnings: [],
});

/**
 * A valid manifest.json (v1) of job `jobId` with `fields` over it, for a test that needs a finished job's
 * manifest, not one in particular. `jobId` and `fields` are taken as given (a test may put a manifest
 * where no reader should take it: a dot folder). A test of a legacy or damaged manifest writes its own.
 */
export function minimalManifest(jobId: string, fields: Partial<Manifest> = {}): Manifest {
  return { ...structuredClone(MINIMAL), job_id: jobId, ...fields };
}
