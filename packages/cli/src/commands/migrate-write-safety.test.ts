import { chmod, lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { legacySample } from '@imk/media/legacy-samples';
import { IMK } from '../../test/imk-bin.ts';
import { imk, scratchFolder } from '../../test/migrate-kit.ts';

const scratch = scratchFolder('imk-migrate-safety-');

describe('imk migrate: files it cannot read or cannot finish writing', () => {
  it('refuses an --env that is a FIFO or a device at once, naming it; a config file that is a FIFO too', async () => {
    const dir = join(scratch.dir, 'fifo');
    await mkdir(join(dir, 'config'), { recursive: true });
    const fifo = join(scratch.dir, 'fifo.env');
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
    const envFile = join(scratch.dir, 'fifo-ok.env');
    await writeFile(envFile, 'YTDL_MODE=both\n');
    await execa('mkfifo', [join(dir, 'config', 'youtube-retriever.yaml')]);
    const result = await imk(['migrate', '--env', envFile, '--root', dir, '--dry-run'], {}, 15_000);
    expect(result.timedOut, 'imk migrate hung on a FIFO config file').toBe(false);
    expect(String(result.all)).toMatch(
      /config\/youtube-retriever\.yaml is a FIFO \(named pipe\), not a regular file/,
    );
  }, 45_000);

  it('a run cut short while writing (disk full, file-size limit) leaves the user config file whole, naming it', async () => {
    const dir = join(scratch.dir, 'cut-short');
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
    const dir = join(scratch.dir, 'cut-after-one');
    const mine = join(dir, 'config', 'instrumental-maker.yaml');
    const paths = join(dir, 'config', 'paths.yaml');
    await mkdir(join(dir, 'config'), { recursive: true });
    await writeFile(
      mine,
      ['concurrency: 2', ...Array.from({ length: 60 }, (_, i) => `# note ${i}: ${'x'.repeat(40)}`), ''].join(
        '\n',
      ),
    );
    const envFile = join(scratch.dir, 'cut-after-one.env');
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
});
