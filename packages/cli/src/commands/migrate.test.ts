import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { LEGACY_KEYS, parseLegacyEnv, resolvePaths } from '@imk/config';
import { legacySample } from '@imk/media/legacy-samples';
import { errorMessage } from '@imk/errors';
import { migrateCommand } from '../actions/migrate.ts';
import { imkInProcess } from '../../test/in-process.ts';
import { expectValidConfigs, imk, legacyRoutes, scratchFolder } from '../../test/migrate-kit.ts';

const scratch = scratchFolder('imk-migrate-');

describe('imk migrate', () => {
  it('covers every key of the earlier .env.example: converted with a comment, or said to have no equivalent and why', async () => {
    const dir = join(scratch.dir, 'example');
    const envFile = legacySample('legacy.env.example');
    const result = await imk(['migrate', '--env', envFile, '--root', dir, '--json']);
    expect(result.exitCode, String(result.all)).toBe(0);
    const report = JSON.parse(String(result.stdout)) as {
      lines: { key: string; outcome: string; text: string }[];
      unknown: string[];
    };
    // Every variable the file sets, and the two it shows commented out, has a line in the one table.
    const text = await readFile(envFile, 'utf8');
    const keys = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(60);
    const table = new Set(LEGACY_KEYS.map((k) => k.key));
    expect(keys.filter((k) => !table.has(k))).toEqual([]);
    const set = Object.keys(parseLegacyEnv(text));
    expect(report.lines.map((l) => l.key).sort()).toEqual([...set].sort());
    expect(report.unknown).toEqual([]);
    for (const line of report.lines) expect(line.text.length, line.key).toBeGreaterThan(10);
    // The secret values never appear, in the report or in a file.
    expect(String(result.all)).not.toContain('minioadmin');
    expect(String(result.all)).not.toContain('change-me-in-production');

    const written = await expectValidConfigs(dir);
    expect(written.sort()).toEqual(['inbox.yaml', 'instrumental-maker.yaml']);
    const im = await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8');
    expect(im).toContain('targetLufs: -14 # from TARGET_LUFS=-14');
    expect(im).toMatch(/model: htdemucs # without demucs installed, builtin is used/);
    expect(parseYaml(im)).toMatchObject({
      engine: { name: 'demucs', params: { model: 'htdemucs', device: 'cpu' } },
      recipes: { instrumental: { stems: ['drums', 'bass', 'other'] } },
      output: { format: 'mp3', sampleRate: 44100, bitDepth: 16 },
      loudness: { enabled: true, targetLufs: -14, truePeak: -1, twoPass: true },
    });
  });

  it('keeps an existing layout in place and writes NAS sync routes in the legacy shape; --dry-run writes nothing', async () => {
    const dir = join(scratch.dir, 'layout');
    const routes = await legacyRoutes();
    const envFile = join(scratch.dir, 'layout.env');
    await writeFile(
      envFile,
      [
        'QUEUE_YOUTUBE_AUDIO=/srv/old/queues/youtube_audio',
        'QUEUE_YOUTUBE_VIDEO=/srv/old/queues/youtube_video',
        'QUEUE_OTHER=/srv/old/queues/other/',
        'OUTPUTS_DIR=/srv/old/outputs  # its outputs',
        'GENERATE_NO_DRUMS_VARIANT=true',
        'GENERATE_DRUMS_ONLY_VARIANT=false',
        'PRESERVE_STEMS=true',
        'YTDL_MODE=both',
        'NAS_SYNC_METHOD=local',
        'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
        'NAS_REMOTE_ROOT_VIDEO=/mnt/nas/video',
        'NAS_REMOTE_ROOT_STEMS=/mnt/nas/stems',
        `NAS_SYNC_ROUTES=${JSON.stringify(routes)}`,
        'NAS_SKIP_ON_MISSING_REMOTE=true',
        'NAS_DRY_RUN=false',
        '',
      ].join('\n'),
    );
    const dry = await imk(['migrate', '--env', envFile, '--root', dir, '--dry-run']);
    expect(dry.exitCode, String(dry.all)).toBe(0);
    expect(String(dry.stdout)).toContain('config/paths.yaml: queues = /srv/old/queues');
    expect(String(dry.stdout)).toMatch(/NAS_DRY_RUN=false\n\s+no equivalent: a dry run is a command/);
    await expect(readdir(join(dir, 'config'))).rejects.toThrow();

    const result = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(result.exitCode, String(result.all)).toBe(0);
    await expectValidConfigs(dir);
    expect(resolvePaths(dir, {})).toMatchObject({ queues: '/srv/old/queues', outputs: '/srv/old/outputs' });
    const nas = parseYaml(await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8')) as {
      nasSync: Record<string, unknown>;
    };
    expect(nas.nasSync).toMatchObject({
      enabled: true,
      unrouted: 'warn',
      remoteRoots: { audio: '/mnt/nas/audio', video: '/mnt/nas/video', stems: '/mnt/nas/stems' },
      routes,
    });
    const im = await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8');
    expect(parseYaml(im)).toMatchObject({
      variants: ['instrumental', 'no_drums'],
      stems: { keep: true },
      // Its no_drums as it made it: vocals + bass + other, named "(no drums)" (migrate-no-drums.test.ts makes one).
      recipes: { no_drums: { stems: ['vocals', 'bass', 'other'], label: 'Instrumental (no drums)' } },
      output: { suffixes: { no_drums: ' (no drums)' } },
    });
    expect(im).toContain('our default no_drums is bass + other');
    expect(parseYaml(await readFile(join(dir, 'config', 'youtube-retriever.yaml'), 'utf8'))).toEqual({
      defaultMode: 'both',
    });
  });
  it('never writes a config file its service would refuse: an unusable value is reported with the field, the rest converted', async () => {
    const dir = join(scratch.dir, 'refused');
    const nas = join(scratch.dir, 'refused-nas');
    const envFile = join(scratch.dir, 'refused.env');
    await writeFile(
      envFile,
      [
        'TARGET_LUFS=-3', // our range is -30 to -5
        'TRUE_PEAK_DBFS=-1.0',
        'SAMPLE_RATE=1000',
        'BIT_DEPTH=24',
        'RETRY_BACKOFF_SEC=-2',
        'STABILITY_PASSES=2',
        'NAS_SYNC_METHOD=local',
        // Its routes name the audio root, which this .env never set (the earlier version sent to "/Instrumental").
        // (Set here: a .env without NAS_SYNC_ROUTES gave it no routes at all, as its compose file passed it empty.)
        `NAS_SYNC_ROUTES='[{"kind":"audio","variant":"instrumental","to":"\${remoteRoots.audio}/Instrumental"}]'`,
        `NAS_REMOTE_ROOT_VIDEO=${nas}`,
        '',
      ].join('\n'),
    );
    // (through main() in this process; the first test runs imk migrate --json as a process)
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--json');
    expect(result.exitCode, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout) as {
      lines: { key: string; outcome: string; text: string; changes: unknown[] }[];
    };
    const line = (key: string) => report.lines.find((l) => l.key === key)!;
    for (const [key, field] of [
      ['TARGET_LUFS', 'loudness.targetLufs'],
      ['SAMPLE_RATE', 'output.sampleRate'],
      ['RETRY_BACKOFF_SEC', 'retry.backoffMs'],
      ['NAS_SYNC_ROUTES', 'nasSync.routes.0.to'],
    ] as const) {
      expect(line(key), key).toMatchObject({ outcome: 'skipped', changes: [] });
      expect(line(key).text, key).toContain(`not written: config/`);
      expect(line(key).text, key).toContain(field);
    }
    expect(line('NAS_SYNC_ROUTES').text).toContain('remoteRoots has no "audio"');
    for (const key of ['TRUE_PEAK_DBFS', 'BIT_DEPTH', 'STABILITY_PASSES', 'NAS_REMOTE_ROOT_VIDEO'])
      expect(line(key).outcome, key).toBe('converted');
    await expectValidConfigs(dir);
    const im = parseYaml(await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8')) as Record<
      string,
      unknown
    >;
    // TARGET_LUFS is dropped whole: loudness is not switched on without its target.
    expect(im).toMatchObject({ loudness: { truePeak: -1 }, output: { bitDepth: 24 } });
    expect(im).not.toHaveProperty('loudness.enabled');
    expect(im).not.toHaveProperty('output.sampleRate');
    // The services start on what was written.
    const sync = await imkInProcess('sync', '--once', '--dry-run', '--root', dir);
    expect(sync.exitCode, sync.stdout).toBe(0);
  }, 60_000);

  it('names every NAS_SYNC_ROUTES entry it does not convert as it was, and why; a route the earlier version never matched is never made to match everything', async () => {
    const dir = join(scratch.dir, 'odd-routes');
    const envFile = join(scratch.dir, 'odd-routes.env');
    const routes = [
      { kind: 'video' }, // no "to": the earlier version skipped what it matched
      'junk',
      { kind: ['audio', 'video'], to: '${remoteRoots.audio}/Both' }, // never equal to a kind: never matched
      { kind: 'audio', variant: 'no_drums', to: '' },
      { kind: 'audio', variant: null, to: '${remoteRoots.audio}/All' },
    ];
    await writeFile(
      envFile,
      [
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${join(scratch.dir, 'odd-routes-nas')}`,
        `NAS_SYNC_ROUTES=${JSON.stringify(routes)}`,
        '',
      ].join('\n'),
    );
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--json');
    expect(result.exitCode, result.stdout).toBe(0);
    const report = JSON.parse(result.stdout) as { lines: { key: string; outcome: string; text: string }[] };
    const line = report.lines.find((l) => l.key === 'NAS_SYNC_ROUTES')!;
    expect(line.outcome).toBe('converted');
    // Before: entries 0 to 3 vanished without a word, and entry 2 became a route taking every artifact.
    for (const [index, why] of [
      [0, 'no "to"'],
      [1, 'not a route'],
      [2, 'kind'],
      [3, 'no "to"'],
    ] as const) {
      expect(line.text).toContain(`NAS_SYNC_ROUTES[${index}]`);
      expect(line.text).toContain(why);
    }
    expect(line.text).not.toContain('NAS_SYNC_ROUTES[4]');
    const written = parseYaml(await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8')) as {
      nasSync: { routes: unknown[] };
    };
    // Entries without "to" stay in their place as skip routes: what they matched is sent nowhere, as before.
    expect(written.nasSync.routes).toEqual([
      { kind: 'video', skip: true },
      { kind: 'audio', variant: 'no_drums', skip: true },
      { kind: 'audio', to: '${remoteRoots.audio}/All' },
    ]);
    // The file says so too, beside the routes.
    expect(await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8')).toContain('NAS_SYNC_ROUTES[1]');
    await expectValidConfigs(dir);
  }, 60_000);

  it('names each line of the .env it could not read (by line number and name, never the value)', async () => {
    const dir = join(scratch.dir, 'odd-env');
    const envFile = join(scratch.dir, 'odd-env.env');
    await writeFile(
      envFile,
      [
        'TARGET_LUFS=-14',
        'MINIO_SECRET_KEY: s3cr3t-value', // YAML habit: not KEY=value
        'NAS REMOTE_ROOT_AUDIO=/mnt/nas', // a space in the name
        '  # a comment',
        '',
        'STEMS=D,B,O',
      ].join('\r\n'),
    );
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(result.exitCode, result.stdout).toBe(0);
    // Before: both lines vanished without a word.
    expect(result.stdout).toContain('line 2');
    expect(result.stdout).toContain('MINIO_SECRET_KEY');
    expect(result.stdout).toContain('line 3');
    expect(result.stdout).not.toContain('s3cr3t');
    expect(result.stdout).not.toMatch(/line (1|4|5|6)\b/);
    const json = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--dry-run', '--json');
    const report = JSON.parse(json.stdout) as { unread: { line: number; text: string }[] };
    expect(report.unread.map((u) => u.line)).toEqual([2, 3]);
    expect(JSON.stringify(report)).not.toContain('s3cr3t');
  }, 60_000);

  it('whatever value each variable of the earlier version holds, every file migrate writes loads', async () => {
    const convertible = LEGACY_KEYS.filter((entry) => entry.convert !== undefined).map((entry) => entry.key);
    const odd = [
      '',
      '0',
      '-1',
      '1.5',
      'abc',
      '1e3',
      '99999999999',
      'no',
      '.',
      '-',
      '[{"kind":"audio","to":"${remoteRoots.audio}/X"}]',
    ];
    // `imk migrate` as a function (the other tests run the command): the same code, without starting
    // eleven processes. What it prints is kept for the message of a failure.
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      printed.push(String(text));
      return true;
    });
    try {
      for (const [index, value] of odd.entries()) {
        const dir = join(scratch.dir, `odd-${index}`);
        const envFile = join(scratch.dir, `odd-${index}.env`);
        await writeFile(envFile, convertible.map((key) => `${key}=${value}`).join('\n'));
        printed.length = 0;
        await migrateCommand({ env: envFile, root: dir }).catch((error: unknown) => {
          throw new Error(`${value}: ${errorMessage(error)}\n${printed.join('')}`);
        });
        await expectValidConfigs(dir).catch((error: unknown) => {
          throw new Error(`every variable = ${JSON.stringify(value)}: ${(error as Error).message}`);
        });
      }
    } finally {
      write.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
  }, 120_000);

  // INCOMING= wrote `inbox.dir: ''` (the root folder as the drop folder), AUDIO_EXTS= `extensions: []` (the
  // inbox took no file at all), MODEL= a demucs model named '', WORKING= `workDir: ''`: each loaded, and
  // meant nothing anyone set. An empty value now writes nothing, and is listed as such.
  it('an empty value (or one that is only a comment, or only commas) never becomes an empty setting', async () => {
    const convertible = LEGACY_KEYS.filter((entry) => entry.convert !== undefined).map((entry) => entry.key);
    const printed: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((text) => {
      printed.push(String(text));
      return true;
    });
    const emptyIn = (value: unknown, at: string[]): string[] => {
      if ((typeof value === 'string' && value.trim() === '') || (Array.isArray(value) && value.length === 0))
        return [at.join('.')];
      if (typeof value === 'object' && value !== null)
        return Object.entries(value).flatMap(([k, v]) => emptyIn(v, [...at, k]));
      return [];
    };
    try {
      for (const [index, value] of ['', '   # nothing here', ','].entries()) {
        const dir = join(scratch.dir, `empty-${index}`);
        const envFile = join(scratch.dir, `empty-${index}.env`);
        await writeFile(envFile, convertible.map((key) => `${key}=${value}`).join('\n'));
        printed.length = 0;
        await migrateCommand({ env: envFile, root: dir, json: true });
        const report = JSON.parse(printed.join('')) as {
          lines: { key: string; outcome: string; text: string }[];
        };
        for (const file of await expectValidConfigs(dir)) {
          const yaml = parseYaml(await readFile(join(dir, 'config', file), 'utf8')) as unknown;
          expect(emptyIn(yaml, [file]), `every variable = ${JSON.stringify(value)}`).toEqual([]);
        }
        // ("," is a folder's name, or a model's, but no list of extensions.)
        for (const key of value === ',' ? ['AUDIO_EXTS'] : ['INCOMING', 'WORKING', 'AUDIO_EXTS', 'MODEL'])
          expect(report.lines.find((l) => l.key === key)).toMatchObject({
            outcome: 'skipped',
            text: expect.stringContaining('empty') as string,
          });
      }
    } finally {
      write.mockRestore();
    }
  }, 60_000);
});
