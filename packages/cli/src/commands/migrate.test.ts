import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  LEGACY_KEYS,
  PathsConfigSchema,
  checkServiceConfig,
  parseLegacyEnv,
  resolvePaths,
} from '@imk/config';
import { legacySample, materializeLegacySample } from '@imk/media/legacy-samples';
import { errorMessage } from '@imk/errors';
import { migrateCommand } from '../actions/migrate.ts';
import { loadService } from '../services.ts';
import { imkInProcess } from '../../test/in-process.ts';
import { IMK } from '../../test/imk-bin.ts';

const imk = (args: string[], env: Record<string, string> = {}, timeout?: number) =>
  execa(IMK, args, {
    reject: false,
    all: true,
    env: { IMK_LOG_LEVEL: 'warn', ...env },
    ...(timeout !== undefined && { timeout, forceKillAfterDelay: 1000 }),
  });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-migrate-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Each written config file, nas-sync.yaml with its folder-shaped legacy routes included, validates against its service's own schema. */
async function expectValidConfigs(dir: string): Promise<string[]> {
  const files = (await readdir(join(dir, 'config'))).filter((f) => f.endsWith('.yaml'));
  for (const file of files) {
    const name = file.replace(/\.yaml$/, '');
    const text = await readFile(join(dir, 'config', file), 'utf8');
    const schema = name === 'paths' ? PathsConfigSchema : (await loadService(name)).configSchema;
    expect(() => checkServiceConfig({ service: name, schema, root: dir, env: {} }, text), file).not.toThrow();
  }
  return files;
}

describe('imk migrate', () => {
  it('covers every key of the earlier .env.example: converted with a comment, or said to have no equivalent and why', async () => {
    const dir = join(root, 'example');
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
    const dir = join(root, 'layout');
    const routes = (
      parseYaml(await readFile(legacySample('nas-sync.legacy-routes.yaml'), 'utf8')) as {
        nasSync: { routes: unknown[] };
      }
    ).nasSync.routes;
    const envFile = join(root, 'layout.env');
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
    expect(parseYaml(im)).toMatchObject({ variants: ['instrumental', 'no_drums'], stems: { keep: true } });
    expect(im).toContain('our no_drums is bass + other');
    expect(parseYaml(await readFile(join(dir, 'config', 'youtube-retriever.yaml'), 'utf8'))).toEqual({
      defaultMode: 'both',
    });
  });
  it('never writes a config file its service would refuse: an unusable value is reported with the field, the rest converted', async () => {
    const dir = join(root, 'refused');
    const nas = join(root, 'refused-nas');
    const envFile = join(root, 'refused.env');
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
    const dir = join(root, 'odd-routes');
    const envFile = join(root, 'odd-routes.env');
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
        `NAS_REMOTE_ROOT_AUDIO=${join(root, 'odd-routes-nas')}`,
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
    const dir = join(root, 'odd-env');
    const envFile = join(root, 'odd-env.env');
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
        const dir = join(root, `odd-${index}`);
        const envFile = join(root, `odd-${index}.env`);
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
        const dir = join(root, `empty-${index}`);
        const envFile = join(root, `empty-${index}.env`);
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

  it('refuses an --env that is a FIFO or a device at once, naming it; a config file that is a FIFO too', async () => {
    const dir = join(root, 'fifo');
    await mkdir(join(dir, 'config'), { recursive: true });
    const fifo = join(root, 'fifo.env');
    await execa('mkfifo', [fifo]);
    for (const env of [fifo, '/dev/zero']) {
      const result = await imk(['migrate', '--env', env, '--root', dir, '--dry-run'], {}, 15_000);
      expect(result.timedOut, `imk migrate --env ${env} hung`).toBe(false);
      expect(result.exitCode).not.toBe(0);
      expect(String(result.all)).toMatch(
        new RegExp(`--env ${env} is a (FIFO \\(named pipe\\)|character device), not a regular file`),
      );
    }
    // The config file migrate would update, as a FIFO: refused the same way, not read forever.
    const envFile = join(root, 'fifo-ok.env');
    await writeFile(envFile, 'YTDL_MODE=both\n');
    await execa('mkfifo', [join(dir, 'config', 'youtube-retriever.yaml')]);
    const result = await imk(['migrate', '--env', envFile, '--root', dir, '--dry-run'], {}, 15_000);
    expect(result.timedOut, 'imk migrate hung on a FIFO config file').toBe(false);
    expect(String(result.all)).toMatch(
      /config\/youtube-retriever\.yaml is a FIFO \(named pipe\), not a regular file/,
    );
  }, 45_000);

  it('a run cut short while writing (disk full, file-size limit) leaves the user config file whole, naming it', async () => {
    const dir = join(root, 'cut-short');
    const file = join(dir, 'config', 'instrumental-maker.yaml');
    await mkdir(join(dir, 'config'), { recursive: true });
    // The user's own file: ~3 KiB of settings and notes, which migrate's additions take past 3 KiB.
    const mine = [
      '# my settings',
      'concurrency: 2',
      ...Array.from({ length: 60 }, (_, i) => `# note ${i}: ${'x'.repeat(40)}`),
      '',
    ].join('\n');
    await writeFile(file, mine);
    await chmod(file, 0o600);
    // A file-size limit of 3 KiB stands for a full disk: the write fails part-way.
    const cut = await execa(
      'bash',
      [
        '-c',
        `ulimit -f 3; exec "$0" "$@"`,
        IMK,
        'migrate',
        '--env',
        legacySample('legacy.env.example'),
        '--root',
        dir,
      ],
      { reject: false, all: true, env: { IMK_LOG_LEVEL: 'warn' } },
    );
    expect(cut.exitCode, String(cut.all)).not.toBe(0);
    expect(String(cut.all)).toContain(`could not write ${file}`);
    expect(String(cut.all)).toContain('it is unchanged');
    expect(await readFile(file, 'utf8')).toBe(mine);
    expect((await readdir(join(dir, 'config'))).sort()).toEqual(['instrumental-maker.yaml']);

    // Without the limit it is written, keeping its permissions; a config file that is a link stays a link.
    await mkdir(join(dir, 'elsewhere'));
    await writeFile(join(dir, 'elsewhere', 'inbox.yaml'), 'stableChecks: 3\n');
    await symlink('../elsewhere/inbox.yaml', join(dir, 'config', 'inbox.yaml'));
    const result = await imk(['migrate', '--env', legacySample('legacy.env.example'), '--root', dir]);
    expect(result.exitCode, String(result.all)).toBe(0);
    expect(await readFile(file, 'utf8')).toContain('# note 59');
    expect(parseYaml(await readFile(file, 'utf8'))).toMatchObject({ concurrency: 1 });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    // The user's own values it replaced (concurrency: 2) are not lost: the file as it was is kept, as private.
    const copies = await readdir(join(dir, 'state', 'migrate'));
    const copy = copies.find((f) => f.startsWith('instrumental-maker.yaml.'));
    expect(copy, copies.join(', ')).toBeDefined();
    expect(await readFile(join(dir, 'state', 'migrate', copy!), 'utf8')).toBe(mine);
    expect((await stat(join(dir, 'state', 'migrate', copy!))).mode & 0o777).toBe(0o600);
    expect(String(result.stdout)).toContain(join(dir, 'state', 'migrate', copy!));
    expect((await lstat(join(dir, 'config', 'inbox.yaml'))).isSymbolicLink()).toBe(true);
    expect(parseYaml(await readFile(join(dir, 'elsewhere', 'inbox.yaml'), 'utf8'))).toMatchObject({
      stableChecks: 2,
    });
    expect((await readdir(join(dir, 'config'))).sort()).toEqual(['inbox.yaml', 'instrumental-maker.yaml']);
  }, 60_000);

  // A run that wrote paths.yaml and then failed on the next file left no record of what it wrote there, so
  // the run after it (the disk freed) replaced the value the user had set in paths.yaml meanwhile.
  it('a run cut short after writing some files remembers what it wrote: the next run keeps what you set there since', async () => {
    const dir = join(root, 'cut-after-one');
    const mine = join(dir, 'config', 'instrumental-maker.yaml');
    const paths = join(dir, 'config', 'paths.yaml');
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(
      mine,
      ['concurrency: 2', ...Array.from({ length: 60 }, (_, i) => `# note ${i}: ${'x'.repeat(40)}`), ''].join(
        '\n',
      ),
    );
    const envFile = join(root, 'cut-after-one.env');
    await writeFile(
      envFile,
      `${await readFile(legacySample('legacy.env.example'), 'utf8')}\nOUTPUTS_DIR=/data/outputs\n`,
    );
    const cut = await execa(
      'bash',
      ['-c', `ulimit -f 3; exec "$0" "$@"`, IMK, 'migrate', '--env', envFile, '--root', dir],
      {
        reject: false,
        all: true,
        env: { IMK_LOG_LEVEL: 'warn' },
      },
    );
    expect(cut.exitCode, String(cut.all)).not.toBe(0);
    expect(String(cut.all)).toContain(`could not write ${mine}`);
    // paths.yaml was written before the failure; the user then sets their own outputs folder there.
    expect(parseYaml(await readFile(paths, 'utf8'))).toMatchObject({ outputs: '/data/outputs' });
    await writeFile(
      paths,
      (await readFile(paths, 'utf8')).replace('outputs: /data/outputs', 'outputs: /srv/mine'),
    );

    const again = await imk(['migrate', '--env', envFile, '--root', dir]);
    expect(again.exitCode, String(again.all)).toBe(0);
    expect(parseYaml(await readFile(paths, 'utf8'))).toMatchObject({ outputs: '/srv/mine' });
    expect(String(again.stdout)).toMatch(
      /kept as you changed it[\s\S]*OUTPUTS_DIR=\/data\/outputs[\s\S]*config\/paths\.yaml: outputs \(changed\)/,
    );
    // The file that failed is written this time.
    expect(parseYaml(await readFile(mine, 'utf8'))).toMatchObject({ concurrency: 1 });
  }, 60_000);

  it('its NAS routes, migrated, deliver the outputs the earlier version wrote, each under its own name in its folder', async () => {
    const dir = join(root, 'routes');
    const nas = join(root, 'routes-nas');
    const routes = (
      parseYaml(await readFile(legacySample('nas-sync.legacy-routes.yaml'), 'utf8')) as {
        nasSync: { routes: unknown[] };
      }
    ).nasSync.routes;
    const envFile = join(root, 'routes.env');
    await writeFile(
      envFile,
      [
        `OUTPUTS_DIR=${join(dir, 'outputs')}`,
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${join(nas, 'audio')}`,
        `NAS_REMOTE_ROOT_VIDEO=${join(nas, 'video')}`,
        `NAS_REMOTE_ROOT_STEMS=${join(nas, 'stems')}`,
        `NAS_SYNC_ROUTES=${JSON.stringify(routes)}`,
        '',
      ].join('\n'),
    );
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
    const dir = join(root, 'skip-routes');
    const nas = join(root, 'skip-routes-nas');
    // The earlier version took the first matching route; this one has no "to", so it sent no "no drums" file.
    const routes = [
      { kind: 'audio', variant: 'no_drums' },
      { kind: 'audio', to: '${remoteRoots.audio}/All' },
    ];
    const envFile = join(root, 'skip-routes.env');
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

describe('the earlier version at start-up and in imk jobs', () => {
  it('honours QUEUE_* and OUTPUTS_DIR in place, with one warning per variable naming our setting', async () => {
    const dir = join(root, 'startup');
    const old = join(root, 'old-layout');
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
    const dir = join(root, 'again');
    const file = join(dir, 'config', 'instrumental-maker.yaml');
    const sample = await readFile(legacySample('legacy.env.example'), 'utf8');
    const envFile = join(root, 'again.env');
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
    const dir = join(root, 'jobs');
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
