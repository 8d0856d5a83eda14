import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imkInProcess } from './in-process.ts';
import { imk, migratedLegacyOutput, scratchFolder } from './migrate-kit.ts';

// One artifact of the earlier version's manifest without a usable path (null, as a tool or a half-written
// manifest leaves it) made the whole manifest invalid: the job vanished from `imk jobs`, the ledger, the
// dashboard and sync. Its sync program skipped that artifact ("Artifact has no path") and sent the rest.
// Now the job and its other artifacts are kept, and the bad one is named everywhere a user looks.
// A file the manifest lists that was deleted from the folder is marked missing in `imk job` too.
const scratch = scratchFolder('imk-legacy-unusable-');

describe('an output of the earlier version with one unusable artifact and one missing file', () => {
  it('is listed, shows both in imk job, and syncs the rest saying what it left out', async () => {
    const { dir, nas, out } = await migratedLegacyOutput(scratch.dir);
    const manifestFile = join(out, 'manifest.json');
    const doc = JSON.parse(await readFile(manifestFile, 'utf8')) as { artifacts: { path: unknown }[] };
    doc.artifacts[4]!.path = null; // stems, drums
    await writeFile(manifestFile, JSON.stringify(doc, null, 2));
    await rm(join(out, 'files/stems/other.wav'));

    const jobs = await imkInProcess('jobs', '--root', dir);
    expect(jobs.stdout).toContain('pyout_audio_001');

    const job = await imkInProcess('job', 'pyout_audio_001', '--root', dir);
    expect(job.exitCode).toBe(0);
    expect(job.stdout).toMatch(
      /files\/stems\/other\.wav {2}\[missing: listed in manifest\.json but not in its job folder\]/,
    );
    expect(job.stdout).toMatch(/files\/stems\/bass\.wav\n/);
    expect(job.stdout).toContain('left out of manifest.json');
    expect(job.stdout).toMatch(
      /pyout_audio_001\/manifest\.json: artifacts\[4\]\.path: .*artifact 4 \(stems, drums\) is left out/,
    );
    const json = JSON.parse(
      (await imkInProcess('job', 'pyout_audio_001', '--root', dir, '--json')).stdout,
    ) as {
      artifacts: { path: string; on_disk: string }[];
      left_out: string[];
    };
    expect(json.artifacts.find((a) => a.path === 'files/stems/other.wav')?.on_disk).toBe('missing');
    expect(json.artifacts.find((a) => a.path === 'files/stems/bass.wav')?.on_disk).toBe('file');
    expect(json.artifacts).toHaveLength(6);
    expect(json.left_out).toHaveLength(1);

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toMatch(
      /nas-sync: 5 delivered, .*, 1 cannot be sent \(missing or unreadable.*\), 1 left out of its manifest \(no usable path or kind/,
    );
    const delivered = (await readdir(nas, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(nas, join(e.parentPath, e.name)))
      .sort();
    expect(delivered).toEqual([
      'audio/Py Artist - Py Song (drums only).m4a',
      'audio/Py Artist - Py Song (no drums).m4a',
      'audio/Py Artist - Py Song.m4a',
      'stems/bass.wav',
      'stems/vocals.wav',
    ]);
  }, 120_000);
});
