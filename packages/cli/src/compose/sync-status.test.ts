import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { runNasSyncOnce } from '@imk/nas-sync-service';
import { audioJob, writeJob } from '@imk/sync/testing';
import { nasSyncStatusSource } from './sync-status.ts';

const quiet = () => createLogger('test', { destination: new Writable({ write: (_c, _e, done) => done() }) });

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-cli-sync-status-'));
  await mkdir(join(root, 'config'));
  await mkdir(join(root, 'outputs'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe("the dashboard's sync status", () => {
  it('shows an artifact a skip route took as skipped by that route, not as "no route"', async () => {
    await writeFile(
      join(root, 'config', 'nas-sync.yaml'),
      `nasSync:
  enabled: true
  routes:
    - name: keep drumless at home
      match: { variant: no_drums }
      skip: true
    - match: { kind: audio }
      to: ${join(root, 'nas')}/
`,
    );
    await writeJob(join(root, 'outputs'), audioJob('job1', ['instrumental', 'no_drums']));
    await runNasSyncOnce({ root, logger: quiet() });
    const entries = await nasSyncStatusSource(root, quiet()).entries('job1');
    expect(entries).toHaveLength(2);
    expect(entries.find((entry) => entry.path.includes('(no_drums)'))).toEqual({
      path: 'files/audio/Artist - job1 (no_drums).m4a',
      destination: '(skipped)',
      status: 'skipped',
      detail: 'skipped by route keep drumless at home (variant: no_drums)',
    });
    expect(entries.find((entry) => entry.path.includes('(instrumental)'))).toMatchObject({
      status: 'delivered',
    });
  });
});
