import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { collectDoctorChecks } from './actions/doctor.ts';

// The whole-system checks and those of the worker, sync and dashboard (the system and retriever groups
// need installed tools and are tested with them).
const GROUPS = new Set(['config', 'worker', 'sync', 'web', 'operations']);

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function run(files: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const root = await mkdtemp(join(tmpdir(), 'imk-doctor-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(root, 'config', name), text);
  const results = new Map<string, { status: string; summary: string; fix?: string }>();
  for (const check of (await collectDoctorChecks()).checks.filter((c) => GROUPS.has(c.group)))
    results.set(check.id, await check.run({ paths: resolvePaths(root), env, now: new Date() }));
  return results;
}

describe('imk doctor: whole-system checks', () => {
  it('passes on the embedded defaults', async () => {
    const results = await run({});
    for (const [id, result] of results)
      expect(['ok', 'skip'], `${id}: ${result.summary}`).toContain(result.status);
    expect(results.get('ledger')?.summary).toMatch(/0 jobs/);
  });

  it('names the file and field of a bad setting, a dashboard open to the network, and a disk below the guard', async () => {
    const results = await run(
      {
        'instrumental-maker.yaml': 'concurrency: lots\n',
        'web.yaml': 'host: 0.0.0.0\n',
        'operations.yaml': 'diskGuard:\n  minFreeMb: 100000000\n  resumeFreeMb: 100000000\n',
      },
      {},
    );
    expect(results.get('config-instrumental-maker')).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/concurrency/),
    });
    expect(results.get('web-access')).toMatchObject({
      status: 'fail',
      fix: expect.stringMatching(/IMK_WEB__TOKEN/),
    });
    expect(results.get('disk-guard')).toMatchObject({
      status: 'fail',
      summary: expect.stringMatching(/not claiming/),
    });
    expect(results.get('config-web')?.status).toBe('ok');
  });
});
