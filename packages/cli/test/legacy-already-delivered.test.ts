import { copyFile, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imk, migratedLegacyOutput, nasListing, scratchFolder } from './migrate-kit.ts';

// A user moving over has run the earlier version's NAS sync program on its outputs for months: its
// LocalBackend copied each artifact to <to>/<its file name>. nas-sync then meets those copies: the same
// content is taken as delivered and never copied again, and the pass says so ("already delivered"), instead
// of "7 delivered", which read as every file sent (over) again.
const scratch = scratchFolder('imk-legacy-already-');

describe("outputs the earlier version's own NAS sync program already delivered", () => {
  it('are taken as delivered, never copied again nor numbered, and the pass says so', async () => {
    const { dir, nas, out } = await migratedLegacyOutput(scratch.dir);
    // What its sync program did with these routes (audio -> ${remoteRoots.audio}, stems -> ${remoteRoots.stems}):
    // shutil.copy2(file, <to>/<file name>).
    const files = (await readdir(join(out, 'files'), { recursive: true, withFileTypes: true })).filter((e) =>
      e.isFile(),
    );
    for (const entry of files) {
      const kind = basename(entry.parentPath);
      await mkdir(join(nas, kind), { recursive: true });
      await copyFile(join(entry.parentPath, entry.name), join(nas, kind, entry.name));
    }
    const before = await nasListing(nas);
    expect(before).toHaveLength(7);

    // docs/migration.md has the user preview it first: the dry run looks there too, and says what the pass
    // will do (nothing to send), not "7 to send", which read as every file about to be sent again.
    const dry = await imk(['sync', '--dry-run', '--root', dir]);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    expect(String(dry.stdout)).toContain(
      'dry run: 0 to send, 7 already delivered (7 found there with the same content, would not be copied again)',
    );
    expect(String(dry.stdout)).toContain(
      `already there pyout_audio_001/files/stems/bass.wav -> local:${join(nas, 'stems', 'bass.wav')} (found with the same content: taken as delivered, not copied)`,
    );
    expect(String(dry.stdout)).not.toContain('would send');
    expect(await nasListing(nas)).toEqual(before);

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toContain(
      'nas-sync: 0 delivered, 7 already delivered (7 found there with the same content, not copied again)',
    );
    expect(await nasListing(nas)).toEqual(before);
  }, 120_000);

  it('a different file at the path: the dry run says it is kept and where ours would arrive, and the pass does that', async () => {
    await mkdir(join(scratch.dir, 'different'));
    const { dir, nas, out } = await migratedLegacyOutput(join(scratch.dir, 'different'));
    // The stems its program put there, and one audio file since replaced on the NAS by another of that name.
    await mkdir(join(nas, 'stems'), { recursive: true });
    for (const stem of ['bass', 'drums', 'other', 'vocals'])
      await copyFile(join(out, 'files', 'stems', `${stem}.wav`), join(nas, 'stems', `${stem}.wav`));
    await mkdir(join(nas, 'audio'), { recursive: true });
    const theirs = join(nas, 'audio', 'Py Artist - Py Song.m4a');
    await writeFile(theirs, 'another song of that name');

    const dry = await imk(['sync', '--dry-run', '--root', dir]);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    expect(String(dry.stdout)).toContain(
      `would send pyout_audio_001/files/audio/Py Artist - Py Song.m4a -> local:${theirs} (79.7 KiB): a different file (25 B) is there, kept; this one would arrive beside it under a numbered name (nasSync.conflict: rename)`,
    );
    // Two audio files not there yet, the one above, and the four stems found there.
    expect(String(dry.stdout)).toContain(
      'dry run: 3 to send, 4 already delivered (4 found there with the same content, would not be copied again)',
    );
    expect(await readFile(theirs, 'utf8')).toBe('another song of that name');

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(String(once.stdout)).toContain(
      'nas-sync: 3 delivered, 4 already delivered (4 found there with the same content, not copied again)',
    );
    expect(await readFile(theirs, 'utf8')).toBe('another song of that name');
    expect((await stat(join(nas, 'audio', 'Py Artist - Py Song (2).m4a'))).size).toBe(
      (await stat(join(out, 'files', 'audio', 'Py Artist - Py Song.m4a'))).size,
    );
  }, 120_000);
});
