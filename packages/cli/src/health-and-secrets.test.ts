// `imk up` as a careless user runs it: deemix not installed, no ARL, no NAS route (degraded, with the
// reason, on the dashboard and in /readyz), and secrets written inline in the YAML (never echoed by the
// config error, `imk doctor`, /readyz or a log line).
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { loadNasSyncConfig, runNasSyncOnce } from '@imk/nas-sync-service';
import { audioJob, writeJob } from '@imk/sync/testing';
import { runServices } from './supervisor.ts';
import { IMK } from '../test/imk-bin.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function newRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-health-'));
  roots.push(root);
  return root;
}

/** Every line any logger of the run writes. */
function capturedLogs() {
  const out = new PassThrough();
  const lines: string[] = [];
  out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
  return { lines, logger: (name: string) => createLogger(name, { destination: out, level: 'debug' }) };
}

async function up(root: string, names: string[], logs: ReturnType<typeof capturedLogs>) {
  const stop = new AbortController();
  let url = '';
  const done = runServices({
    root,
    logger: logs.logger('imk-up'),
    serviceLogger: logs.logger,
    names: [...names, 'web'],
    signal: stop.signal,
    extras: { web: { overrides: { port: 0 } } },
    onListening: (u) => (url = u),
  });
  await expect.poll(() => url, { timeout: 30_000 }).not.toBe('');
  return { url, stop: async () => (stop.abort(), await done) };
}

interface Ready {
  ready: boolean;
  degraded: boolean;
  checks: { name: string; ok: boolean; degraded?: boolean; reasons?: string[]; detail?: string }[];
}

/** Waits until /readyz names exactly these services degraded, and returns its answer. */
async function degradedIn(url: string, names: string[], init?: RequestInit): Promise<Ready> {
  let body: Ready | undefined;
  await expect
    .poll(
      async () => {
        body = (await (await fetch(url, init)).json()) as Ready;
        return body.checks.filter((c) => c.degraded).map((c) => c.name);
      },
      { timeout: 30_000 },
    )
    .toEqual(names);
  return body!;
}

/** What the dashboard says of each service (/api/status). */
async function dashboardStatus(
  url: string,
  init?: RequestInit,
): Promise<{ services: { name: string; state: string; reasons?: string[] }[] }> {
  return (await (await fetch(url, init)).json()) as {
    services: { name: string; state: string; reasons?: string[] }[];
  };
}

describe('a service that runs but cannot do its work', () => {
  it('is degraded, with the reason, in /readyz and on the dashboard; not green', async () => {
    const root = await newRoot();
    const saved = { ...process.env };
    // deemix is not installed on this machine; make sure nothing points at one, and no ARL is set.
    for (const name of ['IMK_DEEMIX', 'IMK_DEEMIX_ARL', 'DEEZER_ARL']) delete process.env[name];
    const logs = capturedLogs();
    const run = await up(root, ['deemix-retriever', 'nas-sync'], logs);
    try {
      const body = await degradedIn(`${run.url}/readyz`, ['service:deemix-retriever', 'service:nas-sync']);
      expect(body.ready).toBe(true);
      expect(body.degraded).toBe(true);
      const deemix = body.checks.find((c) => c.name === 'service:deemix-retriever');
      expect(deemix?.reasons?.join('\n')).toMatch(/deemix.*not found/i);
      expect(deemix?.reasons?.join('\n')).toMatch(/ARL/);
      const sync = body.checks.find((c) => c.name === 'service:nas-sync');
      expect(sync?.reasons?.join('\n')).toMatch(/nothing is synced/);
      const status = await dashboardStatus(`${run.url}/api/status`);
      expect(status.services.find((s) => s.name === 'deemix-retriever')).toMatchObject({
        state: 'degraded',
        reasons: expect.arrayContaining([expect.stringMatching(/deemix/)]),
      });
      expect(logs.lines.join('')).toMatch(/deemix-retriever is running but degraded/);
    } finally {
      await run.stop();
      Object.assign(process.env, saved);
    }
  }, 60_000);
});

describe('the worker without ffmpeg', () => {
  // Every job needs ffmpeg and ffprobe: a worker that cannot find them is degraded, not green, on both
  // surfaces, and /readyz without the token still says so (booleans only, no path).
  it('is degraded naming ffmpeg and what to do, in /readyz (with and without the token) and /api/status', async () => {
    const root = await newRoot();
    const token = 'a-long-enough-dashboard-token-0123456789';
    await mkdir(join(root, 'config'));
    await writeFile(join(root, 'config', 'web.yaml'), `token: ${token}\n`);
    const saved = { ...process.env };
    process.env.IMK_FFMPEG = join(root, 'no-ffmpeg-here');
    const logs = capturedLogs();
    const run = await up(root, ['instrumental-maker'], logs);
    const auth = { headers: { authorization: `Bearer ${token}` } };
    try {
      const body = await degradedIn(`${run.url}/readyz`, ['service:instrumental-maker'], auth);
      expect(body).toMatchObject({ ready: true, degraded: true });
      const worker = body.checks.find((c) => c.name === 'service:instrumental-maker');
      expect(worker?.reasons?.join('\n')).toMatch(
        /ffmpeg: IMK_FFMPEG=.* is not an executable file.*fix: .*apt-get install -y ffmpeg/,
      );
      const open = (await (await fetch(`${run.url}/readyz`)).json()) as Ready;
      expect(open).toMatchObject({ ready: true, degraded: true });
      expect(open.checks.find((c) => c.name === 'service:instrumental-maker')).toEqual({
        name: 'service:instrumental-maker',
        ok: true,
        degraded: true,
      });
      const status = await dashboardStatus(`${run.url}/api/status`, auth);
      expect(status.services.find((s) => s.name === 'instrumental-maker')).toMatchObject({
        state: 'degraded',
        reasons: worker?.reasons,
      });
    } finally {
      await run.stop();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  }, 60_000);
});

describe('nas-sync with a route onto a share that is not mounted', () => {
  // nas-sync refuses to write under an fstab mount point that is not mounted (the files would land on this
  // host's own disk): it delivers nothing, so it is degraded, naming the route and the share.
  it('is degraded in /readyz and /api/status, naming the route, the share and what to do', async () => {
    const root = await newRoot();
    const share = join(root, 'mnt', 'nas');
    await mkdir(share, { recursive: true });
    await mkdir(join(root, 'config'));
    await writeFile(
      join(root, 'config', 'nas-sync.yaml'),
      `nasSync:\n  enabled: true\n  routes:\n    - name: music\n      match: { kind: audio }\n      to: ${share}/Music/{title}.{ext}\n`,
    );
    const fstab = join(root, 'fstab');
    const mountinfo = join(root, 'mountinfo');
    await writeFile(fstab, `//nas/music ${share} cifs noauto 0 0\n`);
    await writeFile(mountinfo, '21 26 0:20 / /proc rw,relatime - proc proc rw\n');
    const saved = { ...process.env };
    Object.assign(process.env, { IMK_SYNC_FSTAB: fstab, IMK_SYNC_MOUNTINFO: mountinfo });
    const logs = capturedLogs();
    const run = await up(root, ['nas-sync'], logs);
    try {
      const body = await degradedIn(`${run.url}/readyz`, ['service:nas-sync']);
      const reasons = body.checks.find((c) => c.name === 'service:nas-sync')?.reasons?.join('\n');
      expect(reasons).toContain('route "music"');
      expect(reasons).toContain(`${share} is listed in ${fstab} but not mounted`);
      expect(reasons).toMatch(/fix: .*mount the share/);
      const status = await dashboardStatus(`${run.url}/api/status`);
      expect(status.services.find((s) => s.name === 'nas-sync')).toMatchObject({ state: 'degraded' });
    } finally {
      await run.stop();
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  }, 60_000);
});

describe('nas-sync whose destination every pass fails at', () => {
  // A file where the route's folder must be: each pass fails there and delivers nothing. nas-sync was green
  // all the same (its health looked at the config and the mounts only); it now reads its own last passes.
  it('is degraded in /readyz and /api/status, naming the route, the destination and what to do', async () => {
    const root = await newRoot();
    const nas = join(root, 'nas');
    await mkdir(nas, { recursive: true });
    await writeFile(join(nas, 'Music'), 'a file where the folder must be');
    await mkdir(join(root, 'config'));
    await writeFile(
      join(root, 'config', 'nas-sync.yaml'),
      `nasSync:\n  enabled: true\n  routes:\n    - name: music\n      match: { kind: audio }\n      to: ${nas}/Music/{title}.{ext}\n`,
    );
    await writeJob(join(root, 'outputs'), audioJob('job1'));
    // `imk sync run` first: its pass meets the file (the running service's own passes record the same; its
    // checks are run again every minute, too slow for this test).
    const logs = capturedLogs();
    expect(await runNasSyncOnce({ root, logger: logs.logger('sync-run') })).toMatchObject({
      summary: { delivered: 0, failed: 1 },
    });
    const run = await up(root, ['nas-sync'], logs);
    try {
      const body = await degradedIn(`${run.url}/readyz`, ['service:nas-sync']);
      const reasons = body.checks.find((c) => c.name === 'service:nas-sync')?.reasons?.join('\n');
      expect(reasons).toContain('route "music" (backend "local") has delivered nothing since');
      expect(reasons).toContain(`${join(nas, 'Music')} is a file, not a folder`);
      expect(reasons).toMatch(/fix: .*imk sync retry/);
      const status = await dashboardStatus(`${run.url}/api/status`);
      expect(status.services.find((s) => s.name === 'nas-sync')).toMatchObject({
        state: 'degraded',
        reasons: body.checks.find((c) => c.name === 'service:nas-sync')?.reasons,
      });
    } finally {
      await run.stop();
    }
  }, 60_000);
});

describe('an invalid config/notify.yaml', () => {
  // Notifications are then off (the services work on): that was one log line; the dashboard was green.
  it('shows the services that notify as degraded, saying notifications are off and why', async () => {
    const root = await newRoot();
    await mkdir(join(root, 'config'));
    await writeFile(join(root, 'config', 'notify.yaml'), 'targets:\n  - type: ntfy\n');
    await writeFile(
      join(root, 'config', 'nas-sync.yaml'),
      `nasSync:\n  enabled: true\n  routes:\n    - match: { kind: audio }\n      to: ${join(root, 'nas')}/{title}.{ext}\n`,
    );
    const logs = capturedLogs();
    const run = await up(root, ['instrumental-maker', 'nas-sync'], logs);
    try {
      const body = await degradedIn(`${run.url}/readyz`, ['service:instrumental-maker', 'service:nas-sync']);
      for (const name of ['service:instrumental-maker', 'service:nas-sync'])
        expect(body.checks.find((c) => c.name === name)?.reasons?.join('\n')).toMatch(
          /notifications: off: [\s\S]*notify\.yaml[\s\S]*targets\.0\.topic[\s\S]*fix: fix config\/notify\.yaml/,
        );
      const status = await dashboardStatus(`${run.url}/api/status`);
      expect(status.services.filter((s) => s.state === 'degraded').map((s) => s.name)).toEqual([
        'instrumental-maker',
        'nas-sync',
      ]);
    } finally {
      await run.stop();
    }
  }, 60_000);
});

describe('secrets written inline in the YAML', () => {
  const SECRETS = [
    'INLINE-S3-SECRET-7f3a',
    'AKIA-INLINE-KEY-ID-9',
    'INLINE-SFTP-PASSWORD-x1',
    'URL-PASSWORD-q8',
    'SHORT-TOK',
  ];
  const NAS_SYNC_YAML = `nasSync:
  enabled: true
  backends:
    bucket:
      type: s3
      bucket: music
      endpoint: "http://minio:URL-PASSWORD-q8@127.0.0.1:9/"
      accessKeyId: AKIA-INLINE-KEY-ID-9
      secretAccessKey: INLINE-S3-SECRET-7f3a
    nas:
      type: sftp
      host: nas.local
      username: music
      password: INLINE-SFTP-PASSWORD-x1
  routes:
    - match: { kind: audio }
      to: /music/{title}.{ext}
      backend: bucket
`;
  const expectClean = (where: string, text: string) => {
    for (const secret of SECRETS) expect(text, `${where} shows ${secret}`).not.toContain(secret);
  };

  it('appear in none of: the config error, imk doctor, /readyz, the log', async () => {
    const root = await newRoot();
    await mkdir(join(root, 'config'));
    await writeFile(join(root, 'config', 'nas-sync.yaml'), NAS_SYNC_YAML);
    await writeFile(join(root, 'config', 'web.yaml'), 'token: SHORT-TOK\n');

    // The thrown config error still says which fields are wrong.
    const error = await loadNasSyncConfig(root).then(
      () => undefined,
      (e: unknown) => e as Error & { details?: unknown },
    );
    expect(error?.message).toMatch(/nasSync\.backends\.bucket\.secretAccessKey/);
    expectClean('the config error', `${error?.message} ${JSON.stringify(error?.details)}`);

    // imk doctor, as text and as JSON (it fails: the configs are invalid).
    const run = promisify(execFile);
    for (const args of [['doctor'], ['doctor', '--json']]) {
      const result = await run(process.execPath, [IMK, ...args, '--root', root], { env: process.env }).catch(
        (e: { stdout: string; stderr: string }) => e,
      );
      expect(result.stdout).toMatch(/secretAccessKey/);
      expectClean(`imk ${args.join(' ')}`, result.stdout + result.stderr);
    }

    // The running system: nas-sync fails on its config; web runs without the too-short token's file.
    await writeFile(join(root, 'config', 'web.yaml'), '');
    const logs = capturedLogs();
    const system = await up(root, ['nas-sync'], logs);
    try {
      await expect
        .poll(async () => (await (await fetch(`${system.url}/readyz`)).json()) as Ready, { timeout: 30_000 })
        .toMatchObject({ ready: false });
      const ready = await (await fetch(`${system.url}/readyz`)).text();
      expect(ready).toMatch(/secretAccessKey/); // the reason is told, the value is not
      expectClean('/readyz', ready);
      expectClean('/api/status', await (await fetch(`${system.url}/api/status`)).text());
    } finally {
      await system.stop();
    }
    expect(logs.lines.join('')).toMatch(/nas-sync failed/);
    expectClean('the log', logs.lines.join(''));
  }, 120_000);
});
