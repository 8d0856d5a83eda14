import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadServiceConfig } from './load-config.ts';

// A secret is given as { env } or { file }; a careless user writes it inline, or too short, or misspelt.
const SecretRef = z.union([z.strictObject({ env: z.string() }), z.strictObject({ file: z.string() })]);
const Schema = z.strictObject({
  token: z.string().min(16).optional(),
  backends: z
    .record(
      z.string(),
      z.strictObject({
        host: z.string(),
        endpoint: z.url().optional(),
        password: SecretRef.optional(),
        secretAccessKey: SecretRef.optional(),
        port: z.number().optional(),
      }),
    )
    .default({}),
  deezer: z.strictObject({ arl: SecretRef.optional() }).default({}),
});

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function errorFor(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-config-secret-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  await writeFile(join(root, 'config', 'demo.yaml'), yaml);
  const error = await loadServiceConfig({ service: 'demo', schema: Schema, root, env }).then(
    () => undefined,
    (e: unknown) => e as Error & { details?: unknown },
  );
  expect(error, 'the config must be refused').toBeDefined();
  return `${error?.message}\n${JSON.stringify(error?.details)}`;
}

describe('config errors never echo a secret', () => {
  it('hides inline secrets whatever the verdict, and still names the field', async () => {
    const text = await errorFor(
      [
        'token: SHORT-TOKEN-1',
        'backends:',
        '  nas:',
        '    host: nas.local',
        '    password: INLINE-PASSWORD-2',
        '    secretAccessKey: INLINE-S3-SECRET-3',
        '    port: "not a number"',
        '    pasword: MISSPELT-PASSWORD-4',
        '  box: { host: 3, password: { env: X }, secretAccessKey: NESTED-SECRET-5 }',
        'deezer: { arl: ARL-VALUE-6 }',
      ].join('\n'),
    );
    for (const secret of [
      'SHORT-TOKEN',
      'INLINE-PASSWORD',
      'INLINE-S3-SECRET',
      'MISSPELT-PASSWORD',
      'NESTED-SECRET',
      'ARL-VALUE',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('backends.nas.password');
    expect(text).toContain('token');
    expect(text).toContain('a secret string of 13 characters');
    expect(text).toContain('"not a number"');
  });

  it('hides a secret set through an environment variable', async () => {
    const text = await errorFor('backends: {}\n', { IMK_DEMO__TOKEN: 'ENV-SHORT-7' });
    expect(text).not.toContain('ENV-SHORT-7');
    expect(text).toContain('IMK_DEMO__TOKEN');
  });

  it('hides credentials in a URL and secret lines quoted by the YAML parser', async () => {
    const url = await errorFor('backends:\n  a: { host: 1, endpoint: "http://user:URL-PASS-8@nas:9000/" }\n');
    expect(url).not.toContain('URL-PASS-8');
    const yaml = await errorFor('backends:\n  a:\n    password: "UNTERMINATED-9\n    host: x\n');
    expect(yaml).toContain('not valid YAML');
    expect(yaml).not.toContain('UNTERMINATED-9');
  });
});
