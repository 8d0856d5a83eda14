import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { isImkError } from '@imk/errors';
import { receiptsFile } from '@imk/sync';
import { writeJob, audioJob } from '@imk/sync/testing';
import {
  NasSyncFileSchema,
  formatStatus,
  getSyncStatus,
  loadNasSyncConfig,
  resetFailedTransfers,
  runNasSyncOnce,
  startNasSync,
  verifyNasSync,
} from '../src/index.ts';
import { capturingLogger, localConfig, tempRoot, writeConfig } from './helpers.ts';

const REPO = join(import.meta.dirname, '..', '..', '..');

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(async () => {
  await t.remove();
});

describe('nas-sync when it is not configured or not enabled', () => {
  it.each([
    ['no config file', undefined, /does not exist/],
    ['no nasSync section', '{}\n', /has no nasSync section/],
    ['enabled: false', 'nasSync:\n  enabled: false\n', /disabled/],
  ])('%s: one warning, nothing else', async (_name, yaml, reason) => {
    if (yaml !== undefined) await writeConfig(t.root, yaml);
    await writeJob(t.outputs, audioJob('job1'));
    const { logger, lines } = capturingLogger();
    const result = await runNasSyncOnce({ root: t.root, logger });
    expect(result.state).not.toBe('ran');
    // With nothing to do, the service says why once and then waits to be stopped (one that ended here would
    // be restarted, and warn, in a loop): it has parked on its stop signal, with no timer left that could
    // do anything before it is stopped. (The timers are counted, and still run in real time.)
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'], shouldAdvanceTime: true });
    const controller = new AbortController();
    const { signal } = controller;
    const listen = signal.addEventListener.bind(signal);
    const parked = new Promise<'parked'>((resolve) => {
      signal.addEventListener = (...args: Parameters<typeof listen>) => {
        listen(...args);
        if (args[0] === 'abort') resolve('parked');
      };
    });
    const service = startNasSync({ root: t.root, logger, signal }).then(() => 'ended' as const);
    try {
      expect(await Promise.race([parked, service])).toBe('parked');
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
      controller.abort();
    }
    expect(await service).toBe('ended');
    const logged = lines();
    expect(logged).toHaveLength(2);
    for (const line of logged) {
      expect(line.level).toBe(40);
      expect(String(line.msg)).toMatch(reason);
    }
    expect(existsSync(join(t.root, 'state'))).toBe(false);
  });

  it('treats a misspelt top-level key as a mistake to report, not as "not configured"', async () => {
    await writeConfig(t.root, 'nassync:\n  enabled: true\n');
    await expect(loadNasSyncConfig(t.root)).rejects.toThrow(/nassync/);
  });
});

describe('nas-sync configuration', () => {
  it('parses the example file and the complete example in docs/nas-sync.md', async () => {
    const example = parseYaml(
      await readFile(join(REPO, 'config', 'nas-sync.example.yaml'), 'utf8'),
    ) as unknown;
    expect(NasSyncFileSchema.parse(example).nasSync?.routes.length).toBeGreaterThan(0);
    const docs = await readFile(join(REPO, 'docs', 'nas-sync.md'), 'utf8');
    // Blocks without their leading comment lines (a complete example starts with `# config/nas-sync.yaml`).
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) =>
      (m[1] ?? '').replace(/^(#[^\n]*\n)+/, ''),
    );
    const complete = blocks.find((block) => block.startsWith('nasSync:'));
    expect(complete).toBeDefined();
    const parsed = NasSyncFileSchema.parse(parseYaml(complete!)).nasSync!;
    expect(Object.keys(parsed.backends).sort()).toEqual(
      ['bucket', 'nas', 'offsite', 'usb', 'nasrsync'].sort(),
    );
    for (const block of blocks.filter((b) => b.startsWith('nasSync:')))
      NasSyncFileSchema.parse(parseYaml(block));
  });

  it("loads the earlier project's routes (folders, a bare remote root) and reads them first-match", async () => {
    const legacy = parseYaml(
      await readFile(join(REPO, '..', 'shared', 'legacy-samples', 'nas-sync.legacy-routes.yaml'), 'utf8'),
    ) as unknown;
    const config = NasSyncFileSchema.parse(legacy).nasSync!;
    expect(config.routes).toHaveLength(5);
    expect(config.conflict).toBe('rename');
    expect(config.routes.every((route) => route.continue === false)).toBe(true);
  });

  it('runs a config in the earlier project\'s own example shape: roots left "", a match value left empty, a root inside a path', async () => {
    // Its DEFAULT_NAS_SYNC_CONFIG listed every root as "" to be filled in; its matcher took an empty value as
    // any, and put a root's folder wherever ${remoteRoots.X} stood.
    await writeConfig(
      t.root,
      [
        'nasSync:',
        '  enabled: true',
        '  remoteRoots:',
        `    audio: ${t.nas}/audio`,
        '    video: ""',
        '    stems: stems',
        '  routes:',
        '    - match: { kind: audio, variant: instrumental }',
        '      to: ${remoteRoots.audio}/Instrumental',
        '    - kind: stems',
        '      variant:',
        `      to: ${t.nas}/\${remoteRoots.stems}`,
        '',
      ].join('\n'),
    );
    const data = await writeJob(t.outputs, {
      jobId: 'job_old',
      artifacts: [
        { path: 'files/audio/A - T.m4a', variant: 'instrumental' },
        { path: 'files/stems/bass.wav', kind: 'stems', variant: 'bass' },
        { path: 'files/stems/drums.wav', kind: 'stems', variant: 'drums' },
      ],
    });
    const result = await runNasSyncOnce({ root: t.root, logger: capturingLogger().logger });
    expect(result).toMatchObject({ state: 'ran', summary: { delivered: 3, failed: 0, unrouted: 0 } });
    expect(await readFile(join(t.nas, 'audio', 'Instrumental', 'A - T.m4a'))).toEqual(
      data.get('files/audio/A - T.m4a'),
    );
    expect((await readdir(join(t.nas, 'stems'))).sort()).toEqual(['bass.wav', 'drums.wav']);
    // A route that uses the root left empty is refused, naming it.
    await writeConfig(
      t.root,
      `nasSync:\n  enabled: true\n  remoteRoots:\n    video: ""\n  routes:\n    - kind: video\n      to: \${remoteRoots.video}/YouTube\n`,
    );
    await expect(loadNasSyncConfig(t.root)).rejects.toThrow(
      /nasSync\.routes\.0\.to: uses \$\{remoteRoots\.video\} but remoteRoots\.video is empty \(not configured\)/,
    );
  });

  it('names the file and the dotted field of a mistake', async () => {
    await writeConfig(
      t.root,
      `nasSync:\n  enabled: true\n  routes:\n    - kind: audio\n      to: /srv/{title}.{ext}\n      backend: nope\n    - kind: audio\n      to: /srv/../{title}\n`,
    );
    const error = await loadNasSyncConfig(t.root).catch((e: unknown) => e);
    expect(isImkError(error, 'CONFIG_INVALID')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(join(t.root, 'config', 'nas-sync.yaml'));
    expect(message).toMatch(/nasSync\.routes\.0\.backend: no backend named "nope"/);
    expect(message).toMatch(/nasSync\.routes\.1\.to: must not contain "\.\."/);
  });

  it('a route with a mistake of its own and no backend: is told that mistake, not of a backend named "undefined"', async () => {
    await writeConfig(
      t.root,
      `nasSync:\n  enabled: true\n  routes:\n    - kind: audio\n      skip: true\n      to: /srv/\n    - kind: stems\n      refresh: []\n      to: /srv/\n`,
    );
    const message = await loadNasSyncConfig(t.root).then(
      () => 'accepted',
      (e: unknown) => (e as Error).message,
    );
    expect(message).toMatch(/nasSync\.routes\.0\.to: a route with skip: true sends nothing/);
    expect(message).toMatch(/nasSync\.routes\.1\.refresh/);
    expect(message).not.toMatch(/backend/);
  });

  it('answers a route written "to: null" (or empty) with its dotted path and the skip: true hint', async () => {
    // What a user writes to mean "nowhere": YAML null (to:, to: ~, to: null) or an empty string.
    for (const to of ['to:', 'to: ~', 'to: null', 'to: ""']) {
      await writeConfig(
        t.root,
        `nasSync:\n  enabled: true\n  routes:\n    - kind: audio\n      to: /srv/\n    - kind: stems\n      ${to}\n`,
      );
      const message = await loadNasSyncConfig(t.root).then(
        () => 'accepted',
        (e: unknown) => (e as Error).message,
      );
      expect(message, to).toMatch(/nasSync\.routes\.1\.to: "to" is (null|empty).*write skip: true/);
      expect(message, to).not.toContain('expected string');
    }
  });

  it('refuses secrets written into the file', async () => {
    await writeConfig(
      t.root,
      `nasSync:\n  enabled: true\n  backends:\n    b:\n      type: s3\n      bucket: x\n      secretAccessKey: hunter2\n`,
    );
    await expect(loadNasSyncConfig(t.root)).rejects.toThrow(/nasSync\.backends\.b\.secretAccessKey/);
  });
});

describe('the nas-sync service', () => {
  it('delivers jobs that appear while it runs, and stops on the signal', async () => {
    await writeConfig(t.root, localConfig(t.nas));
    await writeJob(t.outputs, audioJob('early'));
    const controller = new AbortController();
    const { logger } = capturingLogger();
    const service = startNasSync({ root: t.root, logger, signal: controller.signal });
    const music = join(t.nas, 'Music', 'Artist');
    const waitFor = async (name: string) => {
      for (let i = 0; i < 200 && !(await readdir(music).catch(() => [] as string[])).includes(name); i++)
        await sleep(50);
      expect(await readdir(music)).toContain(name);
    };
    await waitFor('Title early (instrumental).m4a');
    await writeJob(t.outputs, audioJob('late'));
    await waitFor('Title late (instrumental).m4a');

    // A second runner on the same state folder is refused while this one runs.
    const second = await runNasSyncOnce({ root: t.root, logger }).catch((e: unknown) => e);
    expect(isImkError(second, 'SYNC_ALREADY_RUNNING')).toBe(true);

    controller.abort();
    await service;
    const after = await runNasSyncOnce({ root: t.root, logger });
    expect(after).toMatchObject({ state: 'ran', summary: { delivered: 0, alreadyDelivered: 2 } });
  });

  it('moves corrupt receipts aside with a warning naming the file and where it went, then delivers again', async () => {
    await writeConfig(t.root, localConfig(t.nas));
    await writeJob(t.outputs, audioJob('job1'));
    const file = receiptsFile(t.root);
    await mkdir(dirname(file), { recursive: true });
    const garbage = randomBytes(8192);
    await writeFile(file, garbage);
    const { logger, lines } = capturingLogger();
    const result = await runNasSyncOnce({ root: t.root, logger });
    expect(result).toMatchObject({ state: 'ran', summary: { delivered: 1, failed: 0 } });
    const warning = lines().find((l) => String(l.msg).includes('were corrupt'));
    expect(warning, JSON.stringify(lines())).toMatchObject({ level: 40, file });
    const movedTo = String(warning!.movedTo);
    expect(movedTo).toMatch(/\.corrupt-/);
    expect(String(warning!.msg)).toContain(file);
    expect(String(warning!.msg)).toContain(movedTo);
    // Kept as it was, for the user to look at.
    expect(await readFile(movedTo)).toEqual(garbage);
    expect(await readdir(join(t.nas, 'Music', 'Artist'))).toContain('Title job1 (instrumental).m4a');
  });

  it('status lists an artifact a skip route took as skipped, naming the route and its match', async () => {
    await writeConfig(
      t.root,
      localConfig(t.nas).replace(
        '  routes:\n',
        '  routes:\n    - match: { kind: audio, variant: [no_drums, drums_only] }\n      skip: true\n',
      ),
    );
    await writeJob(t.outputs, audioJob('job1', ['instrumental', 'no_drums']));
    const { logger } = capturingLogger();
    expect(await runNasSyncOnce({ root: t.root, logger })).toMatchObject({
      summary: { delivered: 1, skipped: 1 },
    });
    const status = await getSyncStatus({ root: t.root, logger });
    expect(status.totals).toMatchObject({ delivered: 1, skipped: 1, unrouted: 0, pending: 0 });
    expect(status.rows.find((row) => row.variant === 'no_drums')).toMatchObject({
      state: 'skipped',
      skipped_by: 'routes.0 (kind: audio, variant: [no_drums, drums_only])',
    });
    const text = formatStatus(status);
    expect(text).toContain(
      'skipped   job1/files/audio/Artist - job1 (no_drums).m4a  skipped by route routes.0 (kind: audio, variant: [no_drums, drums_only])',
    );
    expect(text).toContain('1 delivered, 0 pending, 0 failed, 0 unrouted, 1 skipped');
  });

  it('status says which route nearly took an unrouted artifact, and what to write', async () => {
    await writeConfig(
      t.root,
      localConfig(t.nas).replace(
        '    - match: { kind: audio }\n',
        '    - match: { kind: audio, variant: No-Drums }\n',
      ),
    );
    await writeJob(t.outputs, audioJob('job1', ['no_drums']));
    const { logger } = capturingLogger();
    await runNasSyncOnce({ root: t.root, logger });
    const status = await getSyncStatus({ root: t.root, logger });
    expect(status.rows[0]).toMatchObject({
      state: 'unrouted',
      error:
        'no route matches this artifact; route "routes.0" asks for variant: No-Drums, which differs from it only by case, "-" or "_" (values are compared exactly, as in the earlier project): write variant: no_drums',
    });
  });

  it("status says a retry under conflict: fail was refused by this artifact's own copy, which the user edited", async () => {
    await writeConfig(
      t.root,
      localConfig(t.nas).replace('  enabled: true\n', '  enabled: true\n  conflict: fail\n'),
    );
    await writeJob(t.outputs, audioJob('job1'));
    const { logger } = capturingLogger();
    expect(await runNasSyncOnce({ root: t.root, logger })).toMatchObject({ summary: { delivered: 1 } });
    const copy = join(t.nas, 'Music', 'Artist', 'Title job1 (instrumental).m4a');
    await writeFile(copy, 'my own edit');
    await verifyNasSync({ root: t.root, logger });
    expect(resetFailedTransfers({ root: t.root, logger }).reset).toBe(1);
    await runNasSyncOnce({ root: t.root, logger });
    const status = await getSyncStatus({ root: t.root, logger });
    expect(status.rows[0]).toMatchObject({
      state: 'failed',
      conflict: { resolution: 'failed', path: copy, altered_copy: true },
    });
    const text = formatStatus(status);
    expect(text).toContain(
      `${copy} already holds a different file (this artifact's own copy, altered there since it was delivered (imk sync verify found it changed)); files/audio/Artist - job1 (instrumental).m4a of job job1 is not sent (conflict: fail). Move the edited file away to send the artifact there again, or set conflict: rename to send it beside it`,
    );
    expect(text).not.toContain('no receipt of this host wrote');
    expect(await readFile(copy, 'utf8')).toBe('my own edit');
  });

  it('status says a re-processed copy was renamed because of an earlier version of the same artifact', async () => {
    await writeConfig(t.root, localConfig(t.nas));
    const { logger } = capturingLogger();
    for (let version = 1; version <= 3; version++) {
      await writeJob(t.outputs, audioJob('job1'));
      expect(await runNasSyncOnce({ root: t.root, logger })).toMatchObject({ summary: { delivered: 1 } });
    }
    const status = await getSyncStatus({ root: t.root, logger });
    const first = join(t.nas, 'Music', 'Artist', 'Title job1 (instrumental).m4a');
    expect(status.rows).toHaveLength(1);
    expect(status.rows[0]).toMatchObject({
      remote_path: join(t.nas, 'Music', 'Artist', 'Title job1 (instrumental) (3).m4a'),
      conflict: { resolution: 'renamed', path: first, earlier_version: true },
    });
    expect(formatStatus(status)).toContain(
      `conflict: ${first} held an earlier version of this artifact; delivered as`,
    );
    expect(formatStatus(status)).not.toContain('no receipt of this host wrote');
  });
});
