import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { imkInProcess } from '../../test/in-process.ts';
import { expectValidConfigs, imk, scratchFolder } from '../../test/migrate-kit.ts';

const scratch = scratchFolder('imk-legacy-startup-');

describe('the earlier version at start-up and in imk jobs', () => {
  it('honours QUEUE_* and OUTPUTS_DIR in place, with one warning per variable naming our setting', async () => {
    const dir = join(scratch.dir, 'startup');
    const old = join(scratch.dir, 'old-layout');
    await materializeLegacySample('bundles/job_leg_wav_001', join(old, 'queues', 'other', 'job_leg_wav_001'));
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(join(dir, 'config', 'operations.yaml'), 'diskGuard: { enabled: false }\n');
    const env = {
      QUEUE_YOUTUBE_AUDIO: join(old, 'queues', 'youtube_audio'),
      QUEUE_YOUTUBE_VIDEO: join(old, 'queues', 'youtube_video'),
      QUEUE_OTHER: join(old, 'queues', 'other'),
      OUTPUTS_DIR: join(old, 'outputs'),
      TARGET_LUFS: '-14',
    };
    const run = await imk(['run', 'instrumental-maker', '--once', '--root', dir], env);
    expect(run.exitCode, String(run.all)).toBe(0);
    const manifest = JSON.parse(
      await readFile(join(old, 'outputs', 'leg_wav_001', 'manifest.json'), 'utf8'),
    ) as { job_id: string };
    expect(manifest.job_id).toBe('leg_wav_001');
    const warnings = String(run.all)
      .split('\n')
      .filter((line) => line.includes('legacy_variable'));
    const byKey = warnings
      .map((line) => (JSON.parse(line) as { legacy_variable: string }).legacy_variable)
      .sort();
    expect(byKey).toEqual([
      'OUTPUTS_DIR',
      'QUEUE_OTHER',
      'QUEUE_YOUTUBE_AUDIO',
      'QUEUE_YOUTUBE_VIDEO',
      'TARGET_LUFS',
    ]);
    expect(warnings.find((l) => l.includes('"OUTPUTS_DIR"'))).toContain(
      'honoured as config/paths.yaml: outputs',
    );
    expect(warnings.find((l) => l.includes('"TARGET_LUFS"'))).toContain(
      'not read here; our setting is config/instrumental-maker.yaml: loudness.targetLufs',
    );
  }, 180_000);

  it('run again, it keeps the values you changed or removed since the last run (and says which), updates the others, and keeps a copy of every file it replaces', async () => {
    const dir = join(scratch.dir, 'again');
    const file = join(dir, 'config', 'instrumental-maker.yaml');
    const sample = await readFile(legacySample('legacy.env.example'), 'utf8');
    const envFile = join(scratch.dir, 'again.env');
    await writeFile(envFile, sample);
    const first = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(first.exitCode, String(first.all)).toBe(0);
    expect(parseYaml(await readFile(file, 'utf8'))).toMatchObject({
      output: { format: 'mp3', sampleRate: 44100 },
      concurrency: 1,
    });
    // Nothing changed: a second run leaves the file as it is, and copies nothing.
    const migrated = await readFile(file, 'utf8');
    const same = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(same.exitCode, String(same.all)).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(migrated);
    const copiesOf = async () =>
      (await readdir(join(dir, 'state', 'migrate')).catch(() => [])).filter((f) => f !== 'written.json');
    expect(await copiesOf()).toEqual([]);

    // The user changes the format and the loudness target, and removes concurrency (to take the default).
    const edited = migrated
      .replace('format: mp3', 'format: flac # I want lossless')
      .replace('targetLufs: -14', 'targetLufs: -16')
      .replace(/^concurrency: .*\n/m, '');
    await writeFile(file, edited);
    // Then the earlier .env changes (those three variables, and the sample rate) and migrate runs again.
    await writeFile(
      envFile,
      sample
        .replace(/^OUTPUT_FORMAT=.*$/m, 'OUTPUT_FORMAT=wav')
        .replace(/^TARGET_LUFS=.*$/m, 'TARGET_LUFS=-12')
        .replace(/^SAMPLE_RATE=.*$/m, 'SAMPLE_RATE=48000')
        .replace(/^MAX_PARALLEL_JOBS=.*$/m, 'MAX_PARALLEL_JOBS=2'),
    );
    const again = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(again.exitCode, String(again.all)).toBe(0);
    const after = await readFile(file, 'utf8');
    expect(parseYaml(after)).toMatchObject({
      output: { format: 'flac', sampleRate: 48000 },
      loudness: { targetLufs: -16 },
    });
    expect(parseYaml(after)).not.toHaveProperty('concurrency');
    expect(after).toContain('# I want lossless');
    const out = String(again.stdout);
    expect(out).toContain('kept as you changed it (not replaced) (3):');
    expect(out).toContain('config/instrumental-maker.yaml: output.format (changed)');
    expect(out).toContain('config/instrumental-maker.yaml: loudness.targetLufs (changed)');
    expect(out).toContain('config/instrumental-maker.yaml: concurrency (removed)');
    expect(out).toContain('--overwrite');
    // The file as it was before this run (with the user's edits) is kept in state/migrate/, said where.
    const copies = await copiesOf();
    expect(copies).toHaveLength(1);
    expect(out).toContain(join(dir, 'state', 'migrate', copies[0]!));
    expect(await readFile(join(dir, 'state', 'migrate', copies[0]!), 'utf8')).toBe(edited);
    await expectValidConfigs(dir);

    // A third run keeps them still (what migrate wrote is remembered, not re-learnt from the user's file).
    const third = await imk(['migrate', '--env', envFile, '--root', dir, '--json']);
    const report = JSON.parse(String(third.stdout)) as { lines: { key: string; outcome: string }[] };
    expect(
      report.lines
        .filter((l) => l.outcome === 'kept')
        .map((l) => l.key)
        .sort(),
    ).toEqual(['MAX_PARALLEL_JOBS', 'OUTPUT_FORMAT', 'TARGET_LUFS']);
    expect(await readFile(file, 'utf8')).toBe(after);

    // --overwrite takes the earlier version's values; the user's file is copied first.
    const forced = await imk(['migrate', '--env', envFile, '--root', dir, '--overwrite']);
    expect(forced.exitCode, String(forced.all)).toBe(0);
    expect(parseYaml(await readFile(file, 'utf8'))).toMatchObject({
      output: { format: 'wav' },
      loudness: { targetLufs: -12 },
      concurrency: 2,
    });
    const copiesAfter = await copiesOf();
    expect(copiesAfter).toHaveLength(2);
    const newest = copiesAfter.find((f) => !copies.includes(f))!;
    expect(await readFile(join(dir, 'state', 'migrate', newest), 'utf8')).toBe(after);
  }, 60_000);

  it('imk jobs and imk job show outputs the earlier version wrote', async () => {
    const dir = join(scratch.dir, 'jobs');
    for (const id of ['pyout_audio_001', 'pyout_video_002', 'pyout_inst_003'])
      await materializeLegacySample(`outputs/${id}`, join(dir, 'outputs', id));
    // imk jobs and imk job through main() in this process (as processes they are tested elsewhere: job-command, legacy-library).
    const jobs = await imkInProcess('jobs', '--root', dir);
    expect(jobs.exitCode, jobs.stdout).toBe(0);
    for (const id of ['pyout_audio_001', 'pyout_video_002', 'pyout_inst_003'])
      expect(String(jobs.stdout)).toContain(id);
    expect(String(jobs.stdout)).toContain('Py Artist - Py Song');
    const job = await imkInProcess('job', 'pyout_video_002', '--root', dir, '--json');
    const detail = JSON.parse(String(job.stdout)) as {
      job: { state: string };
      artifacts: { kind: string; variant: string }[];
    };
    expect(detail.job.state).toBe('succeeded');
    expect(detail.artifacts).toMatchObject([{ kind: 'video', variant: 'source' }]);
  }, 60_000);
});
