import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { cleanLegacyValue, parseLegacyEnv, pickLegacy } from './env-file.ts';

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

  it('cleans process environment values the same way when they are honoured', () => {
    expect(
      pickLegacy({ MINIO_SECRET_KEY: 'pa#ss', DUAL_PASS_LOUDNORM: 'true   # on' }, [
        'MINIO_SECRET_KEY',
        'DUAL_PASS_LOUDNORM',
      ]),
    ).toEqual({ MINIO_SECRET_KEY: 'pa#ss', DUAL_PASS_LOUDNORM: 'true' });
    expect(cleanLegacyValue('  "quoted"  ')).toBe('quoted');
  });
});
