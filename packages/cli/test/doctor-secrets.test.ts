// `imk doctor` with secrets that cannot be read: a notification target's (`secret: { env: … }` not set, a
// `{ file: … }` that is not there) and a media server's (`token`, `password`). Before, doctor said
// "config/notify.yaml is valid" and "all required checks passed" (exit 0), while the running worker and
// nas-sync showed degraded for the target and sent it nothing, and a media server with no readable token
// was never refreshed, with nothing said before the first pass that delivered. Also: the missing-yt-dlp
// message told to `apt-get install yt-dlp`, the distribution package these docs warn is too old.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nasSyncService } from '@imk/nas-sync-service/definition';
import { degradedReasons, healthChecksOf } from '../src/service-health.ts';
import { IMK } from './imk-bin.ts';

let dir = '';
let root = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-doctor-secrets-'));
  root = join(dir, 'root');
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'notify.yaml'),
    [
      'targets:',
      '  - type: webhook',
      '    url: http://127.0.0.1:9/hook',
      '    secret: { env: IMK_TEST_WEBHOOK_SECRET }',
      '  - type: ntfy',
      '    name: phone',
      '    server: http://127.0.0.1:9',
      '    topic: songs',
      `    token: { file: ${join(dir, 'no-such-token')} }`,
      '',
    ].join('\n'),
  );
  await writeFile(
    join(root, 'config', 'nas-sync.yaml'),
    [
      'nasSync:',
      '  enabled: true',
      '  remoteRoots:',
      `    audio: ${join(dir, 'nas')}`,
      '  mediaServers:',
      '    jf:',
      '      type: jellyfin',
      '      url: http://127.0.0.1:9',
      '      token: { env: IMK_TEST_JELLYFIN_KEY }',
      '    nd:',
      '      type: navidrome',
      '      url: http://127.0.0.1:9',
      '      user: admin',
      `      password: { file: ${join(dir, 'no-such-password')} }`,
      '  routes:',
      '    - match: { kind: audio }',
      "      to: '${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}'",
      '      refresh: [jf, nd]',
      '',
    ].join('\n'),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Outcome {
  id: string;
  status: string;
  summary: string;
  fix?: string;
}

async function doctor(env: NodeJS.ProcessEnv): Promise<{ exitCode: number; checks: Map<string, Outcome> }> {
  const result = await execa(
    process.execPath,
    [IMK, 'doctor', '--json', '--group', 'notify', 'sync', '--root', root],
    {
      reject: false,
      timeout: 120_000,
      stdin: 'ignore',
      env,
    },
  );
  const checks = new Map(
    (JSON.parse(result.stdout) as { checks: Outcome[] }).checks.map((c) => [c.id, c] as const),
  );
  return { exitCode: result.exitCode ?? -1, checks };
}

describe('imk doctor with secrets that cannot be read', () => {
  it('fails naming each target and media server whose secret is missing, and passes once they are there', async () => {
    const bare = { IMK_TEST_WEBHOOK_SECRET: undefined, IMK_TEST_JELLYFIN_KEY: undefined };
    const before = await doctor(bare);
    expect(before.exitCode).toBe(1);
    const notify = before.checks.get('notify-secrets');
    expect(notify?.status).toBe('fail');
    expect(notify?.summary).toContain(
      'webhook-0.secret: environment variable IMK_TEST_WEBHOOK_SECRET is not set',
    );
    expect(notify?.summary).toContain('phone.token');
    expect(notify?.summary).toContain('no-such-token');
    const media = before.checks.get('nas-sync-media-secrets');
    expect(media?.status).toBe('fail');
    expect(media?.summary).toContain(
      'mediaServers.jf.token: environment variable IMK_TEST_JELLYFIN_KEY is not set',
    );
    expect(media?.summary).toContain('mediaServers.nd.password');
    expect(media?.fix).toContain('{ file: … }');

    await writeFile(join(dir, 'no-such-token'), 'tk_secret\n');
    await writeFile(join(dir, 'no-such-password'), 'pw\n');
    const after = await doctor({ IMK_TEST_WEBHOOK_SECRET: 's3cret', IMK_TEST_JELLYFIN_KEY: 'k3y' });
    expect(after.checks.get('notify-secrets')?.status).toBe('ok');
    expect(after.checks.get('nas-sync-media-secrets')?.status).toBe('ok');
    // No value ever reaches the report.
    const text = JSON.stringify([...before.checks.values(), ...after.checks.values()]);
    for (const value of ['tk_secret', 's3cret', 'k3y']) expect(text).not.toContain(value);
    await rm(join(dir, 'no-such-token'));
    await rm(join(dir, 'no-such-password'));
  });

  it('shows the running nas-sync degraded, naming the media server whose secret is missing', async () => {
    const saved = process.env.IMK_TEST_JELLYFIN_KEY;
    delete process.env.IMK_TEST_JELLYFIN_KEY;
    try {
      const reasons = (await degradedReasons(root, healthChecksOf(nasSyncService))).join('\n');
      expect(reasons).toContain(
        'mediaServers.jf.token: environment variable IMK_TEST_JELLYFIN_KEY is not set',
      );
      expect(reasons).toContain('mediaServers.nd.password');
    } finally {
      if (saved !== undefined) process.env.IMK_TEST_JELLYFIN_KEY = saved;
    }
  });
});
