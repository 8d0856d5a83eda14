import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { expectValidConfigs, imk, scratchFolder, writeLegacyRoutesEnv } from '../../test/migrate-kit.ts';

const scratch = scratchFolder('imk-migrate-routes-');

describe('imk migrate: NAS routes of the earlier version', () => {
  it('its NAS routes, migrated, deliver the outputs the earlier version wrote, each under its own name in its folder', async () => {
    const dir = join(scratch.dir, 'routes');
    const nas = join(scratch.dir, 'routes-nas');
    const envFile = await writeLegacyRoutesEnv(join(scratch.dir, 'routes.env'), nas, [
      `OUTPUTS_DIR=${join(dir, 'outputs')}`,
    ]);
    const migrated = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(migrated.exitCode, String(migrated.all)).toBe(0);
    await expectValidConfigs(dir);
    for (const id of ['pyout_audio_001', 'pyout_video_002'])
      await materializeLegacySample(`outputs/${id}`, join(dir, 'outputs', id));
    // Where the earlier NAS sync put them: the route's folder, then the artifact's own file name.
    const expected = [
      'audio/Instrumental/Py Artist - Py Song.m4a',
      'audio/NoDrums/Py Artist - Py Song (no drums).m4a',
      'audio/DrumsOnly/Py Artist - Py Song (drums only).m4a',
      'stems/bass.wav',
      'stems/drums.wav',
      'stems/other.wav',
      'stems/vocals.wav',
      'video/YouTube/video.mp4',
    ];
    const dry = await imk(['sync', '--once', '--dry-run', '--root', dir]);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    for (const file of expected) expect(String(dry.all), file).toContain(join(nas, file));
    await expect(readdir(nas)).rejects.toThrow();

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    const delivered = (await readdir(nas, { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => relative(nas, join(e.parentPath, e.name)))
      .sort();
    expect(delivered).toEqual([...expected].sort());
  }, 120_000);

  it('a NAS_SYNC_ROUTES entry without "to" still sends nothing for what it matches: no later route takes it', async () => {
    const dir = join(scratch.dir, 'skip-routes');
    const nas = join(scratch.dir, 'skip-routes-nas');
    // The earlier version took the first matching route; this one has no "to", so it sent no "no drums" file.
    const routes = [
      { kind: 'audio', variant: 'no_drums' },
      { kind: 'audio', to: '${remoteRoots.audio}/All' },
    ];
    const envFile = join(scratch.dir, 'skip-routes.env');
    await writeFile(
      envFile,
      [
        `OUTPUTS_DIR=${join(dir, 'outputs')}`,
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
        `NAS_SYNC_ROUTES=${JSON.stringify(routes)}`,
        '',
      ].join('\n'),
    );
    const migrated = await imk(['migrate', '--env', envFile, '--root', dir, '--json']);
    expect(migrated.exitCode, String(migrated.all)).toBe(0);
    const report = JSON.parse(String(migrated.stdout)) as { lines: { key: string; text: string }[] };
    expect(report.lines.find((l) => l.key === 'NAS_SYNC_ROUTES')?.text).toContain(
      'NAS_SYNC_ROUTES[0] has no "to": written as skip: true',
    );
    await expectValidConfigs(dir);
    await materializeLegacySample('outputs/pyout_audio_001', join(dir, 'outputs', 'pyout_audio_001'));

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.all)).toContain('1 skipped by a skip route');
    // Before: the "no drums" file was left to the next route and arrived in All.
    expect((await readdir(join(nas, 'audio', 'All'))).sort()).toEqual([
      'Py Artist - Py Song (drums only).m4a',
      'Py Artist - Py Song.m4a',
    ]);
  }, 120_000);
});

describe('imk migrate from NAS_DRY_RUN=true, then imk sync --dry-run', () => {
  it('previews what enabling sync would send while nasSync.enabled is false, says it is disabled, and sends nothing', async () => {
    const dir = join(scratch.dir, 'nas-dry-run');
    const nas = join(scratch.dir, 'nas-dry-run-nas');
    const envFile = await writeLegacyRoutesEnv(join(scratch.dir, 'nas-dry-run.env'), nas, [
      'NAS_DRY_RUN=true',
    ]);
    const migrated = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(migrated.exitCode, String(migrated.all)).toBe(0);
    const nasSync = parseYaml(await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8')) as {
      nasSync: { enabled: boolean };
    };
    expect(nasSync.nasSync.enabled).toBe(false);
    await materializeLegacySample('outputs/pyout_audio_001', join(dir, 'outputs', 'pyout_audio_001'));

    const dry = await imk(['sync', '--dry-run', '--root', dir]);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    const said = String(dry.stdout);
    expect(said).toContain('nas-sync is disabled (nasSync.enabled is false in');
    expect(said).toContain('nothing is sent. With enabled: true, a pass would send this:');
    for (const file of [
      'audio/Instrumental/Py Artist - Py Song.m4a',
      'audio/NoDrums/Py Artist - Py Song (no drums).m4a',
      'stems/vocals.wav',
    ])
      expect(said, file).toContain(join(nas, file));
    expect(said).toMatch(/dry run: 7 to send/);
    await expect(readdir(nas)).rejects.toThrow();
    // Without --dry-run it stays disabled: nothing is sent.
    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toContain('nas-sync is disabled');
    await expect(readdir(nas)).rejects.toThrow();
  }, 120_000);
});
