import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { runNasSyncOnce, verifyNasSync } from '@imk/nas-sync-service';
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

  it('lists a copy found gone whose outputs were removed as released, with its remote path and why (imk sync status says released)', async () => {
    const nas = join(root, 'nas');
    await writeFile(
      join(root, 'config', 'nas-sync.yaml'),
      `nasSync:\n  enabled: true\n  routes:\n    - match: { kind: audio }\n      to: ${nas}/\n`,
    );
    await writeJob(join(root, 'outputs'), audioJob('job1', ['instrumental']));
    await runNasSyncOnce({ root, logger: quiet() });
    const delivered = join(nas, 'Artist - job1 (instrumental).m4a');
    await rm(delivered);
    await verifyNasSync({ root, logger: quiet() });
    // Retention removed the job's outputs: the copy can never come back.
    await rm(join(root, 'outputs', 'job1'), { recursive: true });
    const source = nasSyncStatusSource(root, quiet());
    const released = {
      path: 'files/audio/Artist - job1 (instrumental).m4a',
      destination: 'local',
      status: 'released',
      detail: expect.stringContaining(
        `${delivered}: found gone by imk sync verify, and the job's outputs are gone`,
      ),
    };
    expect(await source.entries('job1')).toEqual([released]);
    expect(await source.entries()).toEqual([released]);
    expect(await source.entries('another_job')).toEqual([]);
  });
});
