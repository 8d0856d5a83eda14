import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cleanLegacyValue, parseLegacyEnv, pickLegacy, readLegacyEnv } from './env-file.ts';
import { applyLegacyEnv, legacyVariablesIn } from './honour.ts';

// The earlier project's own .env.example, in ../shared/legacy-samples beside the repository (as
// @imk/media/legacy-samples finds it; config does not depend on media).
const LEGACY_ENV_EXAMPLE = new URL(
  '../../../../../shared/legacy-samples/legacy.env.example',
  import.meta.url,
);

describe('the earlier version .env, read as docker compose gave it to its services', () => {
  it('strips the comments its .env.example writes after values, and keeps empty values empty', async () => {
    const env = parseLegacyEnv(await readFile(LEGACY_ENV_EXAMPLE, 'utf8'));
    expect(env.STEMS).toBe('D,B,O');
    expect(env.OUTPUT_FORMAT).toBe('mp3');
    expect(env.DEMUCS_CHUNK_TIMEOUT_SEC).toBe('3600');
    expect(env.MUSIC_LIBRARY).toBe('/data/output');
    expect(env.CPU_AFFINITY).toBe('');
    expect(env.MINIO_PREFIX).toBe('');
    expect(env).not.toHaveProperty('CODEC');
  });

  it('keeps a # inside a value: a password, a URL fragment, a colour', () => {
    const env = parseLegacyEnv(
      [
        'MINIO_SECRET_KEY=pa#ss',
        'MINIO_ACCESS_KEY=key#1          # the second key',
        'MINIO_ENDPOINT=https://minio.lan:9000/#/buckets',
        'NAS_SCP_KEY=/keys/id#ed25519',
        'TAB_COMMENT=value\t# after a tab',
      ].join('\n'),
    );
    expect(env).toEqual({
      MINIO_SECRET_KEY: 'pa#ss',
      MINIO_ACCESS_KEY: 'key#1',
      MINIO_ENDPOINT: 'https://minio.lan:9000/#/buckets',
      NAS_SCP_KEY: '/keys/id#ed25519',
      TAB_COMMENT: 'value',
    });
  });

  it('takes quoted values as written, # and spaces included, and drops a comment after the quote', () => {
    const env = parseLegacyEnv(
      [
        'A="a # b"   # comment',
        "B='p#w d'",
        'C="say \\"hi\\" \\\\ bye"',
        'export D="x"',
        'E="unclosed # cut',
        'F=   # nothing but a comment',
      ].join('\n'),
    );
    expect(env).toEqual({ A: 'a # b', B: 'p#w d', C: 'say "hi" \\ bye', D: 'x', E: '"unclosed', F: '' });
  });

  it('takes a real environment variable as it is: a # or a quote in it is part of the value', () => {
    // docker compose applies the .env rules before a variable reaches the environment: what is left is
    // the value (a password, a folder name), whatever characters it holds.
    const env = {
      MINIO_SECRET_KEY: 'pa #ss',
      OUTPUTS_DIR: '/srv/music #2',
      MINIO_ACCESS_KEY: '"quoted"',
      DUAL_PASS_LOUDNORM: '  true  ',
    };
    expect(
      pickLegacy(env, ['MINIO_SECRET_KEY', 'OUTPUTS_DIR', 'MINIO_ACCESS_KEY', 'DUAL_PASS_LOUDNORM']),
    ).toEqual({
      MINIO_SECRET_KEY: 'pa #ss',
      OUTPUTS_DIR: '/srv/music #2',
      MINIO_ACCESS_KEY: '"quoted"',
      DUAL_PASS_LOUDNORM: 'true',
    });
    // Honoured at start-up with that value: outputs/ is the folder named, not "/srv/music".
    const config: Record<string, unknown> = {};
    expect(applyLegacyEnv('paths', config, env)).toEqual([{ name: 'OUTPUTS_DIR', path: 'outputs' }]);
    expect(config).toEqual({ outputs: '/srv/music #2' });
    expect(legacyVariablesIn(env).MINIO_SECRET_KEY).toBe('pa #ss');
  });

  it('cleans a value read from a .env file once: a quoted "a # b" read and then picked stays a # b', () => {
    const file = parseLegacyEnv('MINIO_SECRET_KEY="a # b"   # the key\nTARGET_LUFS=-14 # loud');
    expect(pickLegacy(file, ['MINIO_SECRET_KEY', 'TARGET_LUFS'])).toEqual({
      MINIO_SECRET_KEY: 'a # b',
      TARGET_LUFS: '-14',
    });
    expect(cleanLegacyValue('  "quoted"  ')).toBe('quoted');
  });

  it('resolves ${NAME} references as docker compose did, from the lines above, then the environment', () => {
    const { env, unread } = readLegacyEnv(
      [
        'BASE=/srv/music',
        'QUEUE_YOUTUBE_AUDIO=${BASE}/queues/youtube_audio',
        'QUEUE_OTHER=$BASE/queues/other',
        'OUTPUTS_DIR="${BASE}/outputs"',
        "INCOMING='${BASE}/incoming'", // single quotes: as written
        'MUSIC_LIBRARY=${LIBRARY:-/data/library}',
        'ARCHIVE_DIR=${BASE:+$BASE/archive}',
        'LOG_DIR=${HOME}/logs',
        'MINIO_PREFIX=cost$$1',
        'NAS_SYNC_ROUTES=[{"kind":"audio","to":"${remoteRoots.audio}/All"}]', // expanded by its sync service
        'WORKING=${NOWHERE}/work',
        'DB_PATH=${NOWHERE:?set it in .env}',
      ].join('\n'),
      { HOME: '/home/me', BASE: '/not/this/one' },
    );
    expect(env).toEqual({
      BASE: '/srv/music',
      QUEUE_YOUTUBE_AUDIO: '/srv/music/queues/youtube_audio',
      QUEUE_OTHER: '/srv/music/queues/other',
      OUTPUTS_DIR: '/srv/music/outputs',
      INCOMING: '${BASE}/incoming',
      MUSIC_LIBRARY: '/data/library',
      ARCHIVE_DIR: '/srv/music/archive',
      LOG_DIR: '/home/me/logs',
      MINIO_PREFIX: 'cost$1',
      NAS_SYNC_ROUTES: '[{"kind":"audio","to":"${remoteRoots.audio}/All"}]',
    });
    // A reference to a variable nobody sets is never written as an empty or a literal "${NOWHERE}" folder.
    expect(unread).toEqual([
      { line: 11, text: 'WORKING', reason: expect.stringContaining('refers to ${NOWHERE}') as string },
      {
        line: 12,
        text: 'DB_PATH',
        reason: expect.stringContaining('${NOWHERE} is not set (set it in .env)') as string,
      },
    ]);
  });

  it('reads a BOM, CRLF and export lines, and says which variable is set twice (the last is used)', () => {
    const file = readLegacyEnv(
      '\uFEFFexport SAMPLE_RATE=44100\r\nTARGET_LUFS=-14\r\n\r\nSAMPLE_RATE=48000\r\n',
    );
    expect(file.env).toEqual({ SAMPLE_RATE: '48000', TARGET_LUFS: '-14' });
    expect(file.lineOf).toEqual({ SAMPLE_RATE: 4, TARGET_LUFS: 2 });
    expect(file.repeated).toEqual([{ key: 'SAMPLE_RATE', lines: [1, 4] }]);
    expect(file.unread).toEqual([]);
  });

  it('reads a quoted value over several lines, as docker compose did (routes written as indented JSON)', () => {
    const file = readLegacyEnv(
      [
        "NAS_SYNC_ROUTES='[",
        '  {"kind": "audio", "variant": "instrumental", "to": "${remoteRoots.audio}/Instrumental"},',
        '  {"kind": "stems", "to": "${remoteRoots.stems}"}',
        "]'   # the routes",
        'NAS_SYNC_METHOD=local',
        'MINIO_SECRET_KEY="never closed',
        'TARGET_LUFS=-14',
      ].join('\r\n'),
    );
    expect(JSON.parse(file.env.NAS_SYNC_ROUTES!)).toEqual([
      { kind: 'audio', variant: 'instrumental', to: '${remoteRoots.audio}/Instrumental' },
      { kind: 'stems', to: '${remoteRoots.stems}' },
    ]);
    // The lines after it are read as their own again; a quote never closed is read on its line alone.
    expect(file.env).toMatchObject({
      NAS_SYNC_METHOD: 'local',
      MINIO_SECRET_KEY: '"never closed',
      TARGET_LUFS: '-14',
    });
    expect(file.lineOf).toMatchObject({ NAS_SYNC_ROUTES: 1, NAS_SYNC_METHOD: 5, TARGET_LUFS: 7 });
    expect(file.unread).toEqual([]);
  });
});
