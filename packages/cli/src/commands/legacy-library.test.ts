import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { IMK } from '../../test/imk-bin.ts';

// The earlier version's settings and library after `imk migrate` (or without it): what start-up, imk doctor,
// imk jobs and imk sync make of them. migrate.test.ts has the conversion itself.
const imk = (args: string[], env: Record<string, string> = {}) =>
  execa(IMK, args, { reject: false, all: true, env: { IMK_LOG_LEVEL: 'warn', ...env } });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-legacy-library-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('its variables at start-up', () => {
  it('a variable it cannot honour says so and why, never "honoured": QUEUE_* not in the usual folders, an empty OUTPUTS_DIR', async () => {
    const dir = join(root, 'startup-not-honoured');
    const old = join(root, 'old-odd-layout');
    // Its queues under names of the user's own choosing: our queue folder names are fixed.
    await materializeLegacySample('bundles/job_leg_wav_001', join(old, 'q', 'audio', 'job_leg_wav_001'));
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', 'operations.yaml'), 'diskGuard: { enabled: false }\n');
    const env = {
      QUEUE_YOUTUBE_AUDIO: join(old, 'q', 'audio'),
      QUEUE_OTHER: join(old, 'q', 'other'),
      // A compose file's OUTPUTS_DIR: ${OUTPUTS_DIR} with the variable unset: empty, as good as not set.
      OUTPUTS_DIR: '',
    };
    const run = await imk(['run', 'instrumental-maker', '--once', '--root', dir], env);
    expect(run.exitCode, String(run.all)).toBe(0);
    const warnings = new Map(
      String(run.all)
        .split('\n')
        .filter((line) => line.includes('legacy_variable'))
        .map((line) => JSON.parse(line) as { legacy_variable: string; msg: string })
        .map((w) => [w.legacy_variable, w.msg]),
    );
    expect([...warnings.keys()].sort()).toEqual(['OUTPUTS_DIR', 'QUEUE_OTHER', 'QUEUE_YOUTUBE_AUDIO']);
    for (const key of ['QUEUE_YOUTUBE_AUDIO', 'QUEUE_OTHER']) {
      expect(warnings.get(key), key).toContain('not honoured');
      expect(warnings.get(key), key).toContain(
        `QUEUE_YOUTUBE_AUDIO=${join(old, 'q', 'audio')} is not a folder named youtube_audio`,
      );
      expect(warnings.get(key), key).toContain('set config/paths.yaml: queues');
    }
    expect(warnings.get('OUTPUTS_DIR')).toContain('not honoured (OUTPUTS_DIR is empty)');
    for (const message of warnings.values()) expect(message).not.toContain('honoured as');
    // The defaults are used, as said: outputs/ and queues/ under the root; its bundle is left where it is.
    const jobs = await imk(['jobs', '--root', dir], env);
    expect(jobs.exitCode, String(jobs.all)).toBe(0);
    await expect(readdir(join(old, 'q', 'audio'))).resolves.toEqual(['job_leg_wav_001']);
    await expect(readdir(join(dir, 'queues'))).resolves.toEqual(
      expect.arrayContaining(['youtube_audio', 'youtube_video', 'other']),
    );
  }, 60_000);
});

describe('an output of the earlier version whose title had a backslash (kept in its file name on Linux)', () => {
  it('is listed by imk jobs and delivered by its route (not refused as a "path with a backslash")', async () => {
    const dir = join(root, 'backslash');
    const nas = join(root, 'backslash-nas');
    const id = 'pyout_inst_003';
    const out = join(dir, 'outputs', id);
    await materializeLegacySample(`outputs/${id}`, out);
    const name = 'AC\\DC - Only Inst.m4a';
    const { rename } = await import('node:fs/promises');
    await rename(join(out, 'files', 'audio', 'Py Deezer - Only Inst.m4a'), join(out, 'files', 'audio', name));
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
      artist: string;
      artifacts: { path: string }[];
    };
    manifest.artist = 'AC\\DC';
    manifest.artifacts[0]!.path = `files/audio/${name}`;
    await writeFile(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const envFile = join(root, 'backslash.env');
    await writeFile(
      envFile,
      [
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
        `NAS_SYNC_ROUTES='[{"kind":"audio","variant":"instrumental","to":"\${remoteRoots.audio}/Instrumental"}]'`,
        '',
      ].join('\n'),
    );
    expect((await imk(['migrate', '--env', envFile, '--root', dir])).exitCode).toBe(0);

    const jobs = await imk(['jobs', '--root', dir, '--json']);
    expect(jobs.exitCode, String(jobs.all)).toBe(0);
    expect(String(jobs.stdout)).toContain(id);
    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    // Delivered, the backslash made safe for a NAS share (NTFS, SMB) as every delivered name is.
    await expect(readdir(join(nas, 'audio', 'Instrumental'))).resolves.toEqual(['AC_DC - Only Inst.m4a']);
    expect(await readFile(join(nas, 'audio', 'Instrumental', 'AC_DC - Only Inst.m4a'))).toEqual(
      await readFile(join(out, 'files', 'audio', name)),
    );
  }, 60_000);
});

describe('imk doctor after imk migrate', () => {
  it('its MODEL=htdemucs without demucs installed is a warning (jobs run on builtin), not a failed required check', async () => {
    const dir = join(root, 'doctor');
    const result = await imk(['migrate', '--env', legacySample('legacy.env.example'), '--root', dir]);
    expect(result.exitCode, String(result.all)).toBe(0);
    // A PATH with node and nothing else: no demucs on it, whatever this machine has installed.
    const bin = join(root, 'doctor-bin');
    await mkdir(bin);
    await symlink(process.execPath, join(bin, 'node'));
    const doctor = async () => {
      const run = await imk(['doctor', '--group', 'worker', '--json', '--root', dir], { PATH: bin });
      const report = JSON.parse(String(run.stdout)) as {
        checks: { id: string; status: string; summary: string }[];
      };
      return { exitCode: run.exitCode, check: report.checks.find((c) => c.id === 'separation-engine')! };
    };
    const fallback = await doctor();
    expect(fallback.check.status).toBe('warn');
    expect(fallback.check.summary).toContain('demucs was not found');
    expect(fallback.check.summary).toContain('builtin engine instead');
    expect(fallback.exitCode).toBe(0);

    const file = join(dir, 'config', 'instrumental-maker.yaml');
    const config = await readFile(file, 'utf8');
    await writeFile(file, config.replace('engine:\n', 'engine:\n  fallback: false\n'));
    const strict = await doctor();
    expect(strict.check.status).toBe('fail');
    expect(strict.exitCode).not.toBe(0);

    // engine.params.command is the demucs the worker runs: doctor looks there too.
    const standIn = join(root, 'doctor-demucs-standin');
    await writeFile(standIn, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    await writeFile(file, config.replace('  params:\n', `  params:\n    command: ${standIn}\n`));
    const configured = await doctor();
    expect(configured.check).toMatchObject({ status: 'ok', summary: `demucs at ${standIn}` });
  }, 60_000);
});
