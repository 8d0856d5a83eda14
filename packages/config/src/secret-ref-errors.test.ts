import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadServiceConfig } from './load-config.ts';
import { SecretRefSchema } from './secrets.ts';

// Every secret of every config file is a SecretRefSchema: a webhook's HMAC key, an ntfy token, Apprise URLs,
// a media server's token, a NAS password, the Deezer ARL. What a user most often writes instead is the secret.
const Schema = z.strictObject({
  targets: z.array(z.strictObject({ secret: SecretRefSchema.optional(), urls: SecretRefSchema.optional() })),
});

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function errorFor(yaml: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-secret-ref-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  await writeFile(join(root, 'config', 'demo.yaml'), yaml);
  return loadServiceConfig({ service: 'demo', schema: Schema, root, env: {} }).then(
    () => 'accepted',
    (error: unknown) => String(error),
  );
}

describe('a secret written where { env } or { file } is expected', () => {
  it('is told how to give it instead of "Invalid input", and is not shown', async () => {
    const inline = await errorFor(
      'targets:\n  - secret: hmac-key-INLINE-1\n    urls: tgram://123456789:AAbbCCddEEffGG/999\n  - secret: 12345\n  - secret: { environment: X }\n',
    );
    const told =
      'a secret is not written in the config itself: give { env: NAME } (an environment variable holding it) or { file: /run/secrets/name } (a file holding it)';
    expect(inline).toContain(`targets.0.secret: ${told}`);
    expect(inline).toContain(`targets.0.urls: ${told}`);
    expect(inline).toContain('targets.1.secret: expected { env: NAME } or { file: /run/secrets/name }');
    expect(inline).toContain('targets.2.secret: expected { env: NAME } or { file: /run/secrets/name }');
    expect(inline).not.toContain('Invalid input');
    expect(inline).not.toMatch(/INLINE-1|AAbbCCddEEffGG/);
    expect(
      await errorFor('targets:\n  - secret: { env: HOOK_SECRET }\n    urls: { file: /run/secrets/x }\n'),
    ).toBe('accepted');
  });
});
