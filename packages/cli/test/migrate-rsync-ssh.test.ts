import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { startSshd, type SshdServer } from '@imk/sync/testing';
import { imkInProcess } from './in-process.ts';
import { expectValidConfigs, imk, scratchFolder } from './migrate-kit.ts';

// Its NAS sync service ran `rsync -av FILE <to>` (services/nas_sync_service/syncer.py) with its remote roots put
// into `to`: a root `me@nas:/volume1/audio` sent over ssh to that server, as rsync reads a colon before the
// first slash. imk migrate wrote that text as a folder on this host, and every transfer failed for good
// ('is not an absolute path'). Now the server is the rsync backend's (host, username), the root the folder on
// it, and a root that is a folder here gets a backend of its own. Real sshd, real rsync, real imk sync.
const scratch = scratchFolder('imk-migrate-rsync-ssh-');
let sshd: SshdServer;
beforeAll(async () => {
  sshd = await startSshd();
}, 60_000);
afterAll(() => sshd?.stop());

type NasSync = { nasSync: { backends: Record<string, Record<string, unknown>>; remoteRoots: unknown } };

describe('imk migrate with its rsync remote roots on a server', () => {
  it('sends each artifact over ssh to the folder its rsync chose, and a root here stays here', async () => {
    const dir = join(scratch.dir, 'root');
    const server = join(sshd.dataDir, 'nas');
    const here = join(scratch.dir, 'video-here');
    const envFile = join(scratch.dir, 'legacy.env');
    const routes = JSON.stringify([
      { kind: 'audio', variant: 'instrumental', to: '${remoteRoots.audio}/Instrumental' },
      { kind: 'audio', variant: 'no_drums', to: '${remoteRoots.audio}/NoDrums' },
      { kind: 'video', variant: 'source', to: '${remoteRoots.video}/YouTube' },
      { kind: 'stems', to: '${remoteRoots.stems}' },
    ]);
    await writeFile(
      envFile,
      [
        `NAS_REMOTE_ROOT_AUDIO=root@${sshd.host}:${server}/audio`,
        `NAS_REMOTE_ROOT_STEMS=root@${sshd.host}:${server}/stems`,
        `NAS_REMOTE_ROOT_VIDEO=${here}`,
        `NAS_SYNC_ROUTES='${routes}'`,
      ].join('\n'),
    );
    const migrated = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(migrated.exitCode, migrated.stdout).toBe(0);
    await expectValidConfigs(dir);
    const file = join(dir, 'config', 'nas-sync.yaml');
    const config = parseYaml(await readFile(file, 'utf8')) as NasSync;
    expect(config.nasSync.backends.nas).toMatchObject({ type: 'rsync', host: sshd.host, username: 'root' });
    expect(config.nasSync.backends['nas-local']).toMatchObject({ type: 'rsync' });
    expect(config.nasSync.backends['nas-local']).not.toHaveProperty('host');
    expect(config.nasSync.remoteRoots).toEqual({
      audio: `${server}/audio`,
      stems: `${server}/stems`,
      video: here,
    });
    // Its rsync reached the server with the container's ssh settings; this one listens on a port of its own,
    // which a user in that case adds, as here.
    Object.assign(config.nasSync.backends.nas!, {
      port: sshd.port,
      privateKeyFile: sshd.clientKey,
      knownHostsFile: sshd.knownHosts,
    });
    await writeFile(file, stringify(config));
    for (const job of ['pyout_audio_001', 'pyout_video_002'])
      await materializeLegacySample(`outputs/${job}`, join(dir, 'outputs', job));

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    const files = async (top: string) =>
      (await readdir(top, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => relative(top, join(e.parentPath, e.name)))
        .sort();
    expect(await files(server)).toEqual([
      'audio/Instrumental/Py Artist - Py Song.m4a',
      'audio/NoDrums/Py Artist - Py Song (no drums).m4a',
      'stems/bass.wav',
      'stems/drums.wav',
      'stems/other.wav',
      'stems/vocals.wav',
    ]);
    expect(await files(here)).toEqual(['YouTube/video.mp4']);
  }, 180_000);
});
