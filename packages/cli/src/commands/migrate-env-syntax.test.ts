import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { imkInProcess } from '../../test/in-process.ts';
import { expectValidConfigs, scratchFolder } from '../../test/migrate-kit.ts';

// The earlier version's .env as its users wrote it for docker compose, which resolved `${NAME}` in it.
const scratch = scratchFolder('imk-migrate-env-');

describe('imk migrate --env: a .env file as docker compose read it', () => {
  it('resolves ${NAME} references, names the line of each value, and says which variable is set twice', async () => {
    const dir = join(scratch.dir, 'refs');
    const envFile = join(scratch.dir, 'refs.env');
    await writeFile(
      envFile,
      [
        '\uFEFFexport DATA=/srv/imk', // a BOM and `export`, as an editor and a shell habit leave them
        'QUEUE_YOUTUBE_AUDIO=${DATA}/queues/youtube_audio',
        'QUEUE_YOUTUBE_VIDEO=$DATA/queues/youtube_video',
        'QUEUE_OTHER="${DATA}/queues/other"',
        'OUTPUTS_DIR=${OUTPUTS:-/srv/imk/outputs}   # compose default',
        'SAMPLE_RATE=44100',
        'TARGET_LUFS=loud',
        'SAMPLE_RATE=48000',
        'INCOMING=${NOT_SET_ANYWHERE}/incoming',
      ].join('\r\n'),
    );
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(result.exitCode, result.stdout).toBe(0);
    await expectValidConfigs(dir);
    // Before: `queues` and `outputs` were not converted or were written as the text "${OUTPUTS:-…}".
    expect(parseYaml(await readFile(join(dir, 'config', 'paths.yaml'), 'utf8'))).toEqual({
      queues: '/srv/imk/queues',
      outputs: '/srv/imk/outputs',
    });
    const im = parseYaml(await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8')) as {
      output: { sampleRate: number };
    };
    expect(im.output.sampleRate).toBe(48000);
    // An unset reference is never an inbox folder "/incoming" nor "${NOT_SET_ANYWHERE}/incoming".
    await expect(readFile(join(dir, 'config', 'inbox.yaml'), 'utf8')).rejects.toThrow();
    expect(result.stdout).toMatch(/line 9 \(INCOMING\): refers to \$\{NOT_SET_ANYWHERE\}.*not read/);
    // The value that is not usable is found in the file by its line; the one set twice is said.
    expect(result.stdout).toMatch(/TARGET_LUFS=loud \(line 7\)\n\s+TARGET_LUFS="loud" is not a number/);
    expect(result.stdout).toContain(`SAMPLE_RATE is set on lines 6, 8 of ${envFile}: line 8 is used`);
  }, 60_000);
  it('converts NAS_SYNC_ROUTES written over several lines in quotes, which docker compose read whole', async () => {
    const dir = join(scratch.dir, 'multiline');
    const envFile = join(scratch.dir, 'multiline.env');
    await writeFile(
      envFile,
      [
        'NAS_SYNC_METHOD=local',
        'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
        "NAS_SYNC_ROUTES='[",
        '  {"kind": "audio", "variant": "instrumental", "to": "${remoteRoots.audio}/Instrumental"},',
        '  {"kind": "audio", "variant": "no_drums", "to": "${remoteRoots.audio}/NoDrums"}',
        "]'",
        '',
      ].join('\n'),
    );
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(result.exitCode, result.stdout).toBe(0);
    // Before: "NAS_SYNC_ROUTES is not valid JSON … the earlier version ignored it too", and its lines "not read".
    expect(result.stdout).not.toContain('not read');
    await expectValidConfigs(dir);
    const written = parseYaml(await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8')) as {
      nasSync: { routes: { variant?: string; to?: string }[] };
    };
    expect(written.nasSync.routes.map((r) => [r.variant, r.to])).toEqual([
      ['instrumental', '${remoteRoots.audio}/Instrumental'],
      ['no_drums', '${remoteRoots.audio}/NoDrums'],
    ]);
  }, 60_000);
  it('reads a route written in the shape of its nasSync config ({"match": {kind, variant}, "to"}) as the match it says', async () => {
    const dir = join(scratch.dir, 'match-shape');
    const envFile = join(scratch.dir, 'match-shape.env');
    const routes = [
      { match: { kind: 'audio', variant: 'instrumental' }, to: '${remoteRoots.audio}/Instrumental' },
      { match: { kind: 'audio', variant: 'no_drums' }, to: '${remoteRoots.audio}/NoDrums' },
      { kind: 'stems', to: '${remoteRoots.audio}/Stems' },
    ];
    await writeFile(
      envFile,
      [
        'NAS_SYNC_METHOD=local',
        'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
        `NAS_SYNC_ROUTES='${JSON.stringify(routes)}'`,
      ].join('\n'),
    );
    const result = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(result.exitCode, result.stdout).toBe(0);
    await expectValidConfigs(dir);
    const text = await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8');
    // Before: written as [{to: …/Instrumental}, {to: …/NoDrums}, …]: the first route took every artifact.
    expect((parseYaml(text) as { nasSync: { routes: unknown[] } }).nasSync.routes).toEqual([
      { kind: 'audio', variant: 'instrumental', to: '${remoteRoots.audio}/Instrumental' },
      { kind: 'audio', variant: 'no_drums', to: '${remoteRoots.audio}/NoDrums' },
      { kind: 'stems', to: '${remoteRoots.audio}/Stems' },
    ]);
    expect(text).toContain('NAS_SYNC_ROUTES[0], NAS_SYNC_ROUTES[1] name kind/variant under "match"');
  }, 60_000);
});

describe('imk migrate into a folder with config: says what it would change', () => {
  it('names each value it replaces and each it finds already there; a run that changes nothing writes nothing', async () => {
    const dir = join(scratch.dir, 'existing');
    const envFile = join(scratch.dir, 'existing.env');
    await mkdir(join(dir, 'config'), { recursive: true });
    const mine = 'output:\n  sampleRate: 44100 # set by hand\nconcurrency: 3\n';
    await writeFile(join(dir, 'config', 'instrumental-maker.yaml'), mine);
    await writeFile(envFile, 'SAMPLE_RATE=48000\nMAX_PARALLEL_JOBS=3\n');
    const dry = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--dry-run');
    expect(dry.exitCode, dry.stdout).toBe(0);
    // Before: both were listed as "converted" alike, and the hand-set 44100 was replaced without a word.
    expect(dry.stdout).toMatch(
      /output\.sampleRate = 48000 .*\n\s+replaces output\.sampleRate = 44100, in config\/instrumental-maker\.yaml now/,
    );
    expect(dry.stdout).toMatch(/concurrency = 3 .*\n\s+\(already so\)/);
    expect(await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8')).toBe(mine);

    expect((await imkInProcess('migrate', '--env', envFile, '--root', dir)).exitCode).toBe(0);
    // The .env changed since: the second run says which value it replaces, and which are already there.
    await writeFile(envFile, 'SAMPLE_RATE=32000\nMAX_PARALLEL_JOBS=3\n');
    const again = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--dry-run', '--json');
    const report = JSON.parse(again.stdout) as {
      lines: { key: string; replaces?: string[]; unchanged?: boolean }[];
      written: string[];
    };
    expect(report.lines.find((l) => l.key === 'SAMPLE_RATE')?.replaces).toEqual([
      'replaces output.sampleRate = 48000, in config/instrumental-maker.yaml now',
    ]);
    expect(report.lines.find((l) => l.key === 'MAX_PARALLEL_JOBS')?.unchanged).toBe(true);
    // The same .env again: nothing to change, and it says so rather than "wrote …".
    await writeFile(envFile, 'SAMPLE_RATE=48000\nMAX_PARALLEL_JOBS=3\n');
    const same = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(same.stdout).toContain('wrote nothing (the config files already say all of it)');
  }, 60_000);
});
