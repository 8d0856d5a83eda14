// `imk doctor` on a fresh machine where none of the programs are installed, with the features that need
// them configured: each missing program is a failed check whose fix names the Debian package to install.
// An apprise target in config/notify.yaml was not checked at all ("config/notify.yaml is valid", exit 0
// for notifications): a missing apprise was found only when the first notification failed.
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

let dir = '';
let root = '';
let bin = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-doctor-bare-'));
  root = join(dir, 'root');
  // A PATH with node alone: no ffmpeg, yt-dlp, rsync, ssh, rclone, apprise.
  bin = join(dir, 'bin');
  await mkdir(bin);
  await symlink(process.execPath, join(bin, 'node'));
  await mkdir(join(root, 'config'), { recursive: true });
  await writeFile(
    join(root, 'config', 'nas-sync.yaml'),
    [
      'nasSync:',
      '  enabled: true',
      '  backends:',
      '    nas: { type: rsync, host: nas.lan, username: me, root: /srv/music }',
      "    cloud: { type: rclone, remote: 'b2:bucket' }",
      '  routes:',
      '    - match: { kind: audio }',
      "      to: 'nas:/'",
      '',
    ].join('\n'),
  );
  await writeFile(
    join(root, 'config', 'notify.yaml'),
    'targets:\n  - type: apprise\n    name: phone\n    urls: { env: IMK_TEST_APPRISE_URLS }\n',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Outcome {
  id: string;
  status: string;
  summary: string;
  fix?: string;
}

describe('imk doctor on a machine without the programs', () => {
  it('fails each missing program with the Debian package that provides it', async () => {
    const result = await execa(process.execPath, [IMK, 'doctor', '--json', '--root', root], {
      reject: false,
      timeout: 120_000,
      stdin: 'ignore',
      extendEnv: false,
      env: { PATH: bin, HOME: dir, IMK_TEST_APPRISE_URLS: 'ntfys://example.invalid/topic' },
    });
    expect(result.exitCode, result.stderr).toBe(1);
    const checks = new Map(
      (JSON.parse(result.stdout) as { checks: Outcome[] }).checks.map((c) => [c.id, c] as const),
    );
    const failed = (id: string) => {
      const check = checks.get(id);
      expect(check?.status, `${id}: ${JSON.stringify(check)}`).toBe('fail');
      return `${check?.summary ?? ''}\n${check?.fix ?? ''}`;
    };
    expect(failed('ffmpeg')).toContain('apt-get install -y ffmpeg');
    expect(failed('ffprobe')).toContain('apt-get install -y ffmpeg');
    expect(failed('yt-dlp')).toContain('pipx install yt-dlp');
    // Not Debian's package, which these docs say is too old for YouTube (the summary once said apt-get).
    expect(failed('yt-dlp')).not.toContain('apt-get install -y yt-dlp');
    const nas = failed('sync-tools');
    for (const pkg of ['rsync', 'openssh-client', 'rclone']) expect(nas).toContain(pkg);
    const notify = failed('notify-programs');
    expect(notify).toContain('"phone"');
    expect(notify).toContain('apt-get install -y apprise');
  });
});
