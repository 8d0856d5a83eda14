import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DOCUMENT_SCHEMAS,
  documentJsonSchemaText,
  replaceFieldTables,
  validateJob,
  validateManifest,
  type DocumentName,
} from '../src/index.ts';

const schemasDir = join(import.meta.dirname, '..', '..', '..', 'docs', 'schemas');

describe('committed JSON Schemas', () => {
  for (const name of Object.keys(DOCUMENT_SCHEMAS) as DocumentName[]) {
    it(`docs/schemas/${DOCUMENT_SCHEMAS[name].file} matches the zod schema (run "npm run schemas" if not)`, async () => {
      const committed = await readFile(join(schemasDir, DOCUMENT_SCHEMAS[name].file), 'utf8');
      expect(committed).toBe(documentJsonSchemaText(name));
    });
  }
});

// A job.json exactly as the earlier Python YouTube retriever wrote it.
const legacyJob = {
  job_id: 'yt_dQw4w9WgXcQ_audio',
  source_type: 'youtube',
  artist: 'Rick Astley',
  album: 'YTDL',
  title: 'Never Gonna Give You Up',
  audio_path: 'audio.m4a',
  cover_path: 'cover.jpg',
  youtube: {
    video_id: 'dQw4w9WgXcQ',
    url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    channel: 'Rick Astley',
    title: 'Never Gonna Give You Up',
    online_duration_sec: 213,
  },
  validation: { duration_checks: 'pass', details: { downloaded_sec: 212.9, online_sec: 213 } },
};

describe('job.json', () => {
  it('accepts a legacy document without schema_version, keeping unknown fields', () => {
    const result = validateJob({ ...legacyJob, some_future_field: 1 });
    expect(result.ok).toBe(true);
    if (result.ok) expect((result.value as Record<string, unknown>).some_future_field).toBe(1);
  });

  it('names the field and the problem for wrong documents', () => {
    // Ours (schema_version): a number is no job id. (The earlier version's job_id 5 is "5": legacy.test.ts.)
    const result = validateJob({
      ...legacyJob,
      schema_version: 1,
      job_id: 5,
      audio_path: '../etc/passwd',
      options: { output_format: 'ogg' },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['job_id', 'audio_path', 'options.output_format']));
    expect(result.problems.find((p) => p.path === 'audio_path')?.message).toMatch(/\.\./);
  });

  it('tells a value out of a field bounded both ways the whole range in job.json', () => {
    const result = validateJob({ ...legacyJob, schema_version: 1, options: { pitch: -13, tempo: 3 } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'options.pitch: must be between -12 and 12',
      'options.tempo: must be between 0.5 and 2',
    ]);
  });

  it('rejects absolute paths and a job with no media', () => {
    expect(validateJob({ ...legacyJob, audio_path: '/etc/passwd' }).ok).toBe(false);
    const { audio_path: _a, ...noMedia } = legacyJob;
    const result = validateJob(noMedia);
    expect(result.ok).toBe(false);
  });

  it('says a required field that is absent is missing, naming it', () => {
    const { source_type: _s, ...noSource } = legacyJob;
    const result = validateJob({ ...noSource, schema_version: 1 });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems).toEqual([
        { file: 'job.json', path: 'source_type', message: 'missing: a string is required here' },
      ]);
    // The earlier version's consumer read a missing source_type as None and went on: "unknown", said so.
    const legacy = validateJob(noSource);
    expect(legacy).toMatchObject({
      ok: true,
      value: {
        source_type: 'unknown',
        legacy_read_notes: ['job.json has no source_type; it was read as "unknown"'],
      },
    });
  });
});

describe('manifest.json', () => {
  it('reads a legacy manifest whose sha256 was never filled', () => {
    const result = validateManifest({
      job_id: 'yt_x_audio',
      source_type: 'youtube',
      artist: 'A',
      album: 'YTDL',
      title: 'T',
      processed_at: '2024-05-01T10:00:00',
      stems_generated: true,
      stems_preserved: false,
      artifacts: [
        {
          kind: 'audio',
          variant: 'instrumental',
          label: 'Instrumental',
          path: 'files/audio/A - T.m4a',
          codec: 'aac',
          container: 'm4a',
          duration_sec: 200.1,
          sha256: null,
        },
      ],
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.legacy).toBe(true);
  });

  it('requires sha256 and bytes on every artifact of a v1 manifest', () => {
    const result = validateManifest({
      schema_version: 1,
      job_id: 'j1',
      source_type: 'local',
      artist: 'A',
      album: 'B',
      title: 'T',
      processed_at: '2026-11-21T10:00:00Z',
      artifacts: [
        {
          kind: 'audio',
          variant: 'instrumental',
          label: 'Instrumental',
          path: 'files/audio/A - T.m4a',
          codec: 'aac',
          container: 'm4a',
          duration_sec: 1,
        },
      ],
      stems_generated: true,
      stems_preserved: false,
      input: { sha256: 'a'.repeat(64), duration_sec: 1 },
      engine: { name: 'builtin', version: '1', params: {} },
      timings_sec: {},
      warnings: [],
    });
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.problems.map((p) => p.path)).toEqual(['artifacts.0.sha256', 'artifacts.0.bytes']);
  });
});

describe('docs/protocol.md', () => {
  it('has the field tables of the current schemas (run "npm run schemas" if not)', async () => {
    const doc = await readFile(join(schemasDir, '..', 'protocol.md'), 'utf8');
    expect(doc).toContain('<!-- fields:job -->');
    expect(doc).toContain('<!-- fields:manifest -->');
    expect(replaceFieldTables(doc)).toBe(doc);
  });
});
