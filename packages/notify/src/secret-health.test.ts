import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { notificationsHealthCheck } from './open.ts';

// First run: the README's config/notify.yaml (a webhook with secret: { env: IMK_WEBHOOK_SECRET }) copied
// without setting the variable. The file was taken ("read again: targets webhook-0"), the dashboard stayed
// green, and each finished job's notification failed and was retried until it gave up, said only at warn
// in the log. The service's health now names the target, the field and the variable.
let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-notify-secrets-'));
  await mkdir(join(root, 'config'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const health = (env: NodeJS.ProcessEnv) =>
  notificationsHealthCheck.run({ paths: { root, state: join(root, 'state') }, env });

describe("a notification target's secret that cannot be read", () => {
  it('makes the service degraded, naming each target, field and variable or file', async () => {
    const tokenFile = join(root, 'ntfy-token');
    await writeFile(
      join(root, 'config', 'notify.yaml'),
      [
        'targets:',
        '  - type: webhook',
        '    url: http://127.0.0.1:9/hook',
        '    secret: { env: IMK_WEBHOOK_SECRET }',
        '  - type: ntfy',
        '    name: phone',
        '    topic: my-instrumentals',
        `    token: { file: ${tokenFile} }`,
        '  - type: apprise',
        '    urls: { env: IMK_APPRISE_URLS }',
        '',
      ].join('\n'),
    );
    const missing = await health({ IMK_APPRISE_URLS: 'json://127.0.0.1:9/' });
    expect(missing.status).toBe('fail');
    expect(missing.summary).toContain('webhook-0.secret: environment variable IMK_WEBHOOK_SECRET is not set');
    expect(missing.summary).toContain(`phone.token: cannot read secret file ${tokenFile}`);
    expect(missing.summary).not.toContain('apprise-2');
    expect(missing.fix).toMatch(/restart/);

    const empty = await health({ IMK_WEBHOOK_SECRET: ' ', IMK_APPRISE_URLS: 'json://127.0.0.1:9/' });
    expect(empty.summary).toContain('environment variable IMK_WEBHOOK_SECRET is empty');

    await writeFile(tokenFile, 'tk_0123456789abcdef\n');
    const set = await health({
      IMK_WEBHOOK_SECRET: 's3cret-s3cret',
      IMK_APPRISE_URLS: 'json://127.0.0.1:9/',
    });
    expect(set).toEqual({ status: 'ok', summary: 'on' });
    // Never the secret itself.
    expect(JSON.stringify([missing, empty])).not.toContain('json://');
  });
});
