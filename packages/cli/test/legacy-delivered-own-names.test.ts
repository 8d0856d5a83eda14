import { copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imk, nasListing, scratchFolder, writeLegacyRoutesEnv } from './migrate-kit.ts';
import { imkInProcess } from './in-process.ts';

// The earlier version kept a song's title in its file names as written: its sanitize_filename removed only
// "/" and NUL on POSIX (app/utils.py), so a YouTube title "Café del Mar: ¿Qué?" made
// `files/audio/Beyoncé - Café del Mar: ¿Qué?.m4a`, and its NAS sync program (services/nas_sync_service/
// syncer.py, LocalBackend: `shutil.copy2(local_path, remote_base / local_path.name)`) put it under that very
// name in the route's folder. svidal-nlive/instrumental-maker @80b742a, run as its users run it.
// nas-sync makes such a name safe for SMB (`Café del Mar_ ¿Qué_.m4a`), so after `imk migrate` its first pass
// did not see the copies already there and sent every such file a second time, under the other name: two
// copies of each song on the NAS. Now the copy found under the earlier program's name is delivered.
const scratch = scratchFolder('imk-legacy-own-names-');

const JOB = 'yt_AbC-dEf_12_audio';
const NAME = 'Beyoncé - Café del Mar: ¿Qué? "Live" *1*';
const VARIANTS = [
  { variant: 'instrumental', label: 'Instrumental', file: `${NAME}.m4a` },
  { variant: 'no_drums', label: 'Instrumental (no drums)', file: `${NAME} (no drums).m4a` },
  { variant: 'drums_only', label: 'Drums only', file: `${NAME} (drums only).m4a` },
];
const FOLDER = { instrumental: 'Instrumental', no_drums: 'NoDrums', drums_only: 'DrumsOnly' } as const;

/** outputs/<job>/ as app/manifest_generator.py (ManifestGenerator + JobManifest.save) wrote it. */
async function writeEarlierOutput(outputs: string): Promise<string> {
  const out = join(outputs, JOB);
  await mkdir(join(out, 'files', 'audio'), { recursive: true });
  for (const [i, v] of VARIANTS.entries())
    await writeFile(join(out, 'files', 'audio', v.file), Buffer.alloc(4096 + i, i + 1));
  const manifest = {
    job_id: JOB,
    source_type: 'youtube',
    artist: 'Beyoncé',
    album: 'YTDL',
    title: 'Café del Mar: ¿Qué? "Live" *1*',
    processed_at: '2025-12-17T22:21:11.123456Z',
    artifacts: VARIANTS.map((v) => ({
      kind: 'audio',
      variant: v.variant,
      label: v.label,
      path: `files/audio/${v.file}`,
      codec: 'aac',
      container: 'aac',
      duration_sec: 212.5,
      sha256: null,
    })),
    youtube: null,
    validation: { duration_checks: 'pass', details: { online: 212.5, downloaded: 212.4 } },
    stems_generated: true,
    stems_preserved: false,
  };
  // json.dump's default ensure_ascii: every other letter escaped.
  const text = JSON.stringify(manifest, null, 2).replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  await writeFile(join(out, 'manifest.json'), text);
  return out;
}

describe("names the earlier version kept as written (':', '?', '\"', '*'), already on the NAS", () => {
  it('are found there under that name and taken as delivered, never sent again under a safe name', async () => {
    const dir = join(scratch.dir, 'root');
    const nas = join(scratch.dir, 'nas');
    const env = await writeLegacyRoutesEnv(join(scratch.dir, 'legacy.env'), nas, []);
    expect((await imkInProcess('migrate', '--env', env, '--root', dir)).exitCode).toBe(0);
    const out = await writeEarlierOutput(join(dir, 'outputs'));
    // What its sync program did with its shipped routes (audio/<variant> -> ${remoteRoots.audio}/<Folder>).
    for (const v of VARIANTS) {
      const folder = join(nas, 'audio', FOLDER[v.variant as keyof typeof FOLDER]);
      await mkdir(folder, { recursive: true });
      await copyFile(join(out, 'files', 'audio', v.file), join(folder, v.file));
    }
    const before = await nasListing(nas);
    expect(before).toHaveLength(3);

    const dry = await imk(['sync', '--dry-run', '--root', dir]);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    expect(String(dry.stdout)).toContain(
      'dry run: 0 to send, 3 already delivered (3 found there with the same content, would not be copied again)',
    );
    expect(String(dry.stdout)).toContain(
      `already there ${JOB}/files/audio/${NAME}.m4a -> local:${join(nas, 'audio', 'Instrumental', `${NAME}.m4a`)} (found with the same content under the name the earlier version's sync program gave it`,
    );

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toContain(
      'nas-sync: 0 delivered, 3 already delivered (3 found there with the same content, not copied again)',
    );
    // No second copy under another name (`Café del Mar_ ¿Qué_ _Live_ _1_.m4a`), nothing rewritten.
    expect(await nasListing(nas)).toEqual(before);

    // The receipts hold the copies where they are: status says delivered there, with no conflict, and the
    // next pass neither looks again nor sends anything.
    const status = await imk(['sync', 'status', '--root', dir]);
    expect(String(status.stdout)).toContain(
      `delivered ${JOB}/files/audio/${NAME} (no drums).m4a -> local:${join(nas, 'audio', 'NoDrums', `${NAME} (no drums).m4a`)}`,
    );
    expect(String(status.stdout)).not.toContain('conflict');
    const again = await imk(['sync', '--once', '--root', dir]);
    expect(String(again.stdout)).toContain('nas-sync: 0 delivered, 3 already delivered,');
    expect(await nasListing(nas)).toEqual(before);
  }, 120_000);

  // The look under the earlier program's name is only a look: what stands there and cannot be read as a
  // file (here a folder of the artifact's very size, 4096 bytes on ext4, so the size matches and the read
  // back is refused) is "not there", and the file is sent under its safe name. The look's failure failed
  // the transfer before.
  it('a name there that cannot be read as a file does not fail the transfer: the file goes under its safe name', async () => {
    const dir = join(scratch.dir, 'root-folder');
    const nas = join(scratch.dir, 'nas-folder');
    const env = await writeLegacyRoutesEnv(join(scratch.dir, 'legacy-folder.env'), nas, []);
    expect((await imkInProcess('migrate', '--env', env, '--root', dir)).exitCode).toBe(0);
    await writeEarlierOutput(join(dir, 'outputs'));
    const first = VARIANTS[0]!;
    const blocker = join(nas, 'audio', FOLDER.instrumental, first.file);
    await mkdir(blocker, { recursive: true });
    expect((await stat(blocker)).size).toBe(4096);

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toContain('nas-sync: 3 delivered');
    const files = await nasListing(nas);
    expect(files).toHaveLength(3);
    expect(files.filter((line) => line.startsWith(join('audio', FOLDER.instrumental)))).toHaveLength(1);
    expect((await stat(blocker)).isDirectory()).toBe(true);
  }, 120_000);
});
