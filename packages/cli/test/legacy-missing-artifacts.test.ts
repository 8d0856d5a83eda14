import { readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { imkInProcess } from './in-process.ts';
import { imk, scratchFolder } from './migrate-kit.ts';

// The earlier version's users deleted files from its outputs (a stem they did not want): its manifest still
// lists them. Its NAS sync skipped such an artifact with an error and sent the rest; so does nas-sync, and
// the pass's summary says how many it could not send instead of "0 failed" alone.
const scratch = scratchFolder('imk-legacy-missing-');

describe('an output of the earlier version whose manifest lists a file no longer there', () => {
  it('sends the rest, and the pass says how many artifacts cannot be sent, as imk sync status does', async () => {
    const dir = join(scratch.dir, 'root');
    const nas = join(scratch.dir, 'nas');
    const envFile = join(scratch.dir, 'legacy.env');
    await writeFile(
      envFile,
      [
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
        `NAS_REMOTE_ROOT_STEMS=${join(nas, 'stems')}`,
        `NAS_SYNC_ROUTES='[{"kind":"audio","to":"\${remoteRoots.audio}"},{"kind":"stems","to":"\${remoteRoots.stems}"}]'`,
      ].join('\n'),
    );
    expect((await imkInProcess('migrate', '--env', envFile, '--root', dir)).exitCode).toBe(0);
    const out = join(dir, 'outputs', 'pyout_audio_001');
    await materializeLegacySample('outputs/pyout_audio_001', out);
    await rm(join(out, 'files/stems/drums.wav'));
    await rm(join(out, 'files/audio/Py Artist - Py Song (drums only).m4a'));

    const once = await imk(['sync', '--once', '--root', dir]);
    // As the earlier version: not an error of the pass (it skipped them too), and the other five are sent.
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toMatch(
      /nas-sync: 5 delivered, .*, 2 cannot be sent \(missing or unreadable/,
    );
    const delivered = (await readdir(nas, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(nas, join(e.parentPath, e.name)))
      .sort();
    expect(delivered).toEqual([
      'audio/Py Artist - Py Song (no drums).m4a',
      'audio/Py Artist - Py Song.m4a',
      'stems/bass.wav',
      'stems/other.wav',
      'stems/vocals.wav',
    ]);
    const status = await imkInProcess('sync', 'status', '--root', dir);
    expect(status.stdout).toMatch(/failed +pyout_audio_001\/files\/stems\/drums\.wav .*does not exist/);
    expect(status.stdout).toMatch(/5 delivered, 0 pending, 2 failed/);
  }, 120_000);
});
