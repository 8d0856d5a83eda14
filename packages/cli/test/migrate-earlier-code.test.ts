import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { legacyEnvWarnings } from '@imk/config';
import { imkInProcess } from './in-process.ts';
import { expectValidConfigs, imk, scratchFolder } from './migrate-kit.ts';

// `imk migrate` against how the earlier project's own code read each variable (svidal-nlive/instrumental-maker
// @80b742a): its web page (app/webui, given the whole .env by its compose file), its sync-scripts/sync-to-nas.sh,
// its compose files' `environment:`, its NAS sync service's config.py (`.lower() == "true"`) and app/config.py.
const scratch = scratchFolder('imk-migrate-earlier-code-');

interface Report {
  lines: { key: string; outcome: string; text: string; value?: string }[];
  unknown: string[];
}

async function migrate(name: string, lines: string[]): Promise<{ report: Report; dir: string }> {
  const dir = join(scratch.dir, name);
  const envFile = join(scratch.dir, `${name}.env`);
  await writeFile(envFile, `${lines.join('\n')}\n`);
  const result = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--json');
  expect(result.exitCode, result.stdout).toBe(0);
  return { report: JSON.parse(result.stdout) as Report, dir };
}

const nasSyncOf = async (dir: string): Promise<{ nasSync: Record<string, unknown> } | undefined> => {
  const text = await readFile(join(dir, 'config', 'nas-sync.yaml'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (parseYaml(text) as { nasSync: Record<string, unknown> });
};

describe('imk migrate: variables the earlier version read outside app/config.py', () => {
  it('names each with what replaces it (never "not a setting of the earlier version"), secrets unshown', async () => {
    const earlier = {
      // sync-scripts/sync-to-nas.sh, and its web page's NAS panel (app/webui/routes/nas.py)
      NAS_HOST: 'nas.example',
      NAS_PORT: '54321',
      NAS_USER: 'me',
      NAS_PATH: '/volume1/Instrumentals',
      LOCAL_PATH: '/data/output',
      SSH_KEY: '/root/.ssh/id_ed25519',
      SYNC_LOG: '/data/logs/nas_sync.jsonl',
      NAS_SYNC_LOG: '/data/logs/nas_sync.jsonl',
      DELETE_AFTER_SYNC: 'true',
      SYNC_MODE: 'continuous',
      SYNC_INTERVAL: '30',
      SYNC_TRIGGER_FILE: '/data/output/.sync_trigger',
      // its web page (app/webui/app.py, routes/youtube.py, routes/youtube_auth.py)
      INCOMING_DIR: '/data/incoming',
      YTDLP_COOKIES_FILE: '/data/config/cookies.txt',
      YTDLP_CONFIG_DIR: '/data/config',
      YTDLP_POT_PROVIDER_URL: 'http://instrumental-bgutil:4416',
      GOOGLE_CLIENT_ID: 'client-id-value-1234',
      GOOGLE_CLIENT_SECRET: 'client-secret-value-5678',
      FLASK_ENV: 'production',
      // its compose files' environment
      PUID: '0',
      PGID: '0',
      UMASK_SET: '022',
      DEEMIX_SINGLE_USER: 'true',
      DEMUCS_CACHE: '/models/demucs',
      TORCH_HOME: '/models/torch',
      XDG_CACHE_HOME: '/models/cache',
    };
    const { report, dir } = await migrate('extras', [
      ...Object.entries(earlier).map(([k, v]) => `${k}=${v}`),
      'MY_OWN_VARIABLE=1',
    ]);
    // Only the variable the earlier version never read is "not a setting of the earlier version".
    expect(report.unknown).toEqual(['MY_OWN_VARIABLE']);
    expect(report.lines.map((l) => l.key).sort()).toEqual(Object.keys(earlier).sort());
    for (const line of report.lines) {
      expect(['none', 'covered'], line.key).toContain(line.outcome);
      expect(line.text.length, line.key).toBeGreaterThan(30);
    }
    const text = (key: string) => report.lines.find((l) => l.key === key)!.text;
    expect(text('NAS_HOST')).toContain('sftp backend');
    expect(text('DELETE_AFTER_SYNC')).toContain('never deletes');
    expect(text('INCOMING_DIR')).toContain('config/inbox.yaml: dir');
    expect(JSON.stringify(report)).not.toContain('client-secret-value');
    expect(JSON.stringify(report)).not.toContain('client-id-value');
    // Its sync-to-nas.sh variables say nothing of its NAS sync service: no nas-sync.yaml is written for them.
    expect(await nasSyncOf(dir)).toBeUndefined();
    // At start-up, names many other programs set too (PUID, TORCH_HOME, …) are not taken for the earlier version.
    const warned = legacyEnvWarnings({ ...earlier }).map((w) => w.key);
    for (const generic of ['PUID', 'PGID', 'TORCH_HOME', 'XDG_CACHE_HOME', 'NAS_HOST', 'GOOGLE_CLIENT_ID'])
      expect(warned).not.toContain(generic);
    expect(warned).toContain('DELETE_AFTER_SYNC');
  });
});

describe('imk migrate: a .env saved as Latin-1', () => {
  it('reads its accented values as written (Windows-1252), never as U+FFFD, and says so', async () => {
    const lines = ['ARTIST_FALLBACK=Café Artist', 'ALBUM_FALLBACK=Señor Álbum', 'INCOMING=/data/incöming'];
    const results = new Map<string, { tags: unknown; dir: unknown; stdout: string }>();
    for (const encoding of ['utf8', 'latin1'] as const) {
      const dir = join(scratch.dir, `encoding-${encoding}`);
      const envFile = join(scratch.dir, `encoding-${encoding}.env`);
      await writeFile(envFile, Buffer.from(`${lines.join('\r\n')}\r\n`, encoding));
      const run = await imkInProcess('migrate', '--env', envFile, '--root', dir);
      expect(run.exitCode, run.stdout).toBe(0);
      const yt = parseYaml(await readFile(join(dir, 'config', 'youtube-retriever.yaml'), 'utf8')) as {
        tags: unknown;
      };
      const inbox = parseYaml(await readFile(join(dir, 'config', 'inbox.yaml'), 'utf8')) as { dir: unknown };
      results.set(encoding, { tags: yt.tags, dir: inbox.dir, stdout: run.stdout });
    }
    for (const [encoding, result] of results) {
      expect(result.tags, encoding).toEqual({
        artist: ['channel', 'uploader', '=Café Artist'],
        album: ['=Señor Álbum'],
      });
      expect(result.dir, encoding).toBe('/data/incöming');
      expect(result.stdout, encoding).not.toContain('\uFFFD');
    }
    expect(results.get('latin1')!.stdout).toContain('is not UTF-8 text: read as Latin-1 (Windows-1252)');
    expect(results.get('utf8')!.stdout).not.toContain('is not UTF-8 text');
  });
});

describe('imk migrate without --env: its variables in the environment', () => {
  it('takes no name many other programs set too (PUID, TORCH_HOME, …) for one of the earlier version', async () => {
    const dir = join(scratch.dir, 'from-environment');
    const run = await imk(['migrate', '--root', dir, '--dry-run', '--json'], {
      PUID: '1000',
      TORCH_HOME: '/home/me/.cache/torch',
      XDG_CACHE_HOME: '/home/me/.cache',
      DELETE_AFTER_SYNC: 'true',
    });
    expect(run.exitCode, String(run.all)).toBe(0);
    const keys = (JSON.parse(String(run.stdout)) as Report).lines.map((l) => l.key);
    expect(keys).toContain('DELETE_AFTER_SYNC');
    for (const generic of ['PUID', 'TORCH_HOME', 'XDG_CACHE_HOME']) expect(keys).not.toContain(generic);
  });
});

describe('imk migrate: its NAS sync service settings as its code read them', () => {
  it('a yes/no is true only when it says "true" (os.getenv(...).lower() == "true"), as that service read it', async () => {
    for (const [value, compress] of [
      ['1', false],
      ['yes', false],
      ['on', false],
      ['TRUE', true],
      ['true', true],
      ['false', false],
    ] as const) {
      const { dir } = await migrate(`compress-${value}`, [
        'NAS_SYNC_METHOD=rsync',
        `NAS_RSYNC_COMPRESS=${value}`,
        'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
      ]);
      const backend = (await nasSyncOf(dir))!.nasSync.backends as Record<string, { extraArgs?: string[] }>;
      expect(backend.nas!.extraArgs ?? [], `NAS_RSYNC_COMPRESS=${value}`).toEqual(
        compress ? ['--compress'] : [],
      );
    }
  });

  it('NAS_SKIP_ON_MISSING_REMOTE=false stays a warning: its service skipped unrouted artifacts either way', async () => {
    const { dir, report } = await migrate('skip-false', [
      'NAS_SYNC_METHOD=local',
      'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
      'NAS_SKIP_ON_MISSING_REMOTE=false',
    ]);
    expect((await nasSyncOf(dir))!.nasSync.unrouted).toBe('warn');
    expect(report.lines.find((l) => l.key === 'NAS_SKIP_ON_MISSING_REMOTE')!.text).toContain(
      'skipped an unrouted artifact with a warning all the same',
    );
  });

  it('NAS_SYNC_ROUTES set empty (as its compose file passed an unset one) gave it no routes: none are written', async () => {
    const { dir, report } = await migrate('routes-empty', [
      'NAS_SYNC_METHOD=local',
      'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
      'NAS_SYNC_ROUTES=',
    ]);
    expect((await nasSyncOf(dir))!.nasSync.routes).toBeUndefined();
    const line = report.lines.find((l) => l.key === 'NAS_SYNC_ROUTES')!;
    expect(line.outcome).toBe('skipped');
    expect(line.text).toContain('NAS_SYNC_ROUTES is empty: the earlier NAS sync service then had no routes');
  });

  it('NAS_SYNC_ROUTES not set in its .env reached its service empty (its compose file: ${NAS_SYNC_ROUTES:-}): no routes, and said', async () => {
    const unset = await migrate('routes-unset', [
      'NAS_SYNC_METHOD=local',
      'NAS_REMOTE_ROOT_AUDIO=/mnt/nas/audio',
    ]);
    // Its default route is not written: the earlier service, run by its compose file, had none and sent nothing.
    expect((await nasSyncOf(unset.dir))!.nasSync.routes).toBeUndefined();
    expect((await nasSyncOf(unset.dir))!.nasSync.enabled).toBe(true);
    const line = unset.report.lines.find((l) => l.key === 'NAS_SYNC_ROUTES')!;
    expect(line).toMatchObject({ outcome: 'skipped' });
    expect(line.text).toContain(
      `(not set in ${join(scratch.dir, 'routes-unset.env')}: its docker-compose.yml passed it on as NAS_SYNC_ROUTES="")`,
    );
    expect(line.text).toContain('then had no routes at all');
    // Said the same way by `imk migrate` as a user reads it.
    const envFile = join(scratch.dir, 'routes-unset.env');
    const said = await imkInProcess('migrate', '--env', envFile, '--root', unset.dir, '--dry-run');
    expect(said.stdout).toMatch(
      /NAS_SYNC_ROUTES\n\s+\(not set in .*routes-unset\.env: its docker-compose\.yml passed/,
    );

    // Not set in the environment `imk migrate` reads (no --env): its config.py's own default, said so.
    const dir = join(scratch.dir, 'routes-unset-environment');
    const run = await imk(['migrate', '--root', dir], {
      NAS_SYNC_METHOD: 'local',
      NAS_REMOTE_ROOT_AUDIO: '/mnt/nas/audio',
    });
    expect(run.exitCode, String(run.all)).toBe(0);
    expect((await nasSyncOf(dir))!.nasSync.routes).toEqual([
      { kind: 'audio', variant: 'instrumental', to: '${remoteRoots.audio}/Instrumental' },
    ]);
    expect(String(run.stdout)).toContain(
      'NAS_SYNC_ROUTES not set in the environment: its config.py then used this route',
    );
  });

  it('NAS_DRY_RUN=true, which sent nothing, writes nas-sync disabled; imk sync then sends nothing', async () => {
    const nas = join(scratch.dir, 'dry-nas');
    for (const [value, enabled] of [
      ['true', false],
      ['True', false],
      ['yes', true],
      ['false', true],
    ] as const) {
      const { dir } = await migrate(`dry-${value}`, [
        'NAS_SYNC_METHOD=local',
        `NAS_REMOTE_ROOT_AUDIO=${nas}`,
        `NAS_DRY_RUN=${value}`,
      ]);
      expect((await nasSyncOf(dir))!.nasSync.enabled, `NAS_DRY_RUN=${value}`).toBe(enabled);
      await expectValidConfigs(dir);
    }
    const sync = await imkInProcess('sync', '--once', '--root', join(scratch.dir, 'dry-true'));
    expect(sync.stdout).toContain('nas-sync is disabled');
  });
});

describe('imk migrate: its MinIO mirror', () => {
  it('MINIO_USE_SSL not set is https, as its Config defaulted it (env_bool("MINIO_USE_SSL", "true"))', async () => {
    for (const [lines, scheme] of [
      [[], 'https'],
      [['MINIO_USE_SSL=false'], 'http'],
      [['MINIO_USE_SSL=true'], 'https'],
    ] as const) {
      const { dir } = await migrate(`minio-ssl-${scheme}-${lines.length}`, [
        'MINIO_MIRROR_ENABLED=true',
        'MINIO_ENDPOINT=minio.example:9000',
        'MINIO_BUCKET=instrumentals',
        ...lines,
      ]);
      const backends = (await nasSyncOf(dir))!.nasSync.backends as Record<string, { endpoint?: string }>;
      expect(backends.minio!.endpoint, lines.join()).toBe(`${scheme}://minio.example:9000`);
    }
  });
});
