import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imkInProcess } from './in-process.ts';
import { audioJob, writeJob } from '../../sync/test/fixtures.ts';
import { imk, migratedLegacyOutput, scratchFolder } from './migrate-kit.ts';

// The earlier version's users deleted files from its outputs (a stem they did not want): its manifest still
// lists them. Its NAS sync skipped such an artifact with an error and sent the rest; so does nas-sync, and
// the pass's summary says how many it could not send instead of "0 failed" alone.
const scratch = scratchFolder('imk-legacy-missing-');

describe('an output of the earlier version whose manifest lists a file no longer there', () => {
  it('sends the rest, and the pass says how many artifacts cannot be sent, as imk sync status does', async () => {
    const { dir, nas, out } = await migratedLegacyOutput(scratch.dir);
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

  it('one of OUR manifests with a file missing: failed for good, exit code 2, as a file that does not match it', async () => {
    // Ours lists sha256 and bytes, so the plan does not open the file: the transfer met ENOENT, was
    // 'will retry later' pass after pass, while a file of another size or sha256 (LOCAL_MISMATCH) fails for
    // good with exit code 2 (docs/nas-sync.md). A file deleted from our job folder is that case too.
    const dir = join(scratch.dir, 'ours');
    const nas = join(scratch.dir, 'nas-ours');
    const envFile = join(scratch.dir, 'ours.env');
    await writeFile(
      envFile,
      [
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
        `NAS_SYNC_ROUTES='[{"kind":"audio","to":"\${remoteRoots.audio}"}]'`,
      ].join('\n'),
    );
    expect((await imkInProcess('migrate', '--env', envFile, '--root', dir)).exitCode).toBe(0);
    await writeJob(join(dir, 'outputs'), audioJob('ours_001', ['instrumental', 'no_drums']));
    await rm(join(dir, 'outputs', 'ours_001', 'files/audio/Artist - ours_001 (no_drums).m4a'));

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(2);
    expect(String(once.stdout)).toMatch(
      /failed ours_001\/files\/audio\/Artist - ours_001 \(no_drums\)\.m4a -> \w+: \[LOCAL_MISMATCH\] .*is listed in its manifest but is not in its job folder/,
    );
    // The one failure is counted once, as failed for good (it used to be '1 failed, …, 1 failed for
    // good'): the line docs/nas-sync.md shows for this very case.
    const docs = await readFile(join(import.meta.dirname, '..', '..', '..', 'docs', 'nas-sync.md'), 'utf8');
    const documented = /^nas-sync: 1 delivered, .*$/m.exec(docs)?.[0];
    expect(documented).toBeDefined();
    expect(String(once.stdout).split('\n')).toContain(documented);
    // Not tried again on the next pass, and still said by the exit code until imk sync retry.
    const again = await imk(['sync', '--once', '--root', dir]);
    expect(again.exitCode, String(again.all)).toBe(2);
    expect(String(again.stdout)).toMatch(
      /nas-sync: 0 delivered, 1 already delivered, 1 failed \(1 for good, 0 will be retried\), 0 waiting to retry, 0 unrouted/,
    );
  }, 120_000);
});
