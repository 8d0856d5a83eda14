// Intervals in config/operations.yaml become Node.js timers, which wait at most 2^31 - 1 ms (~24.8 days).
// A longer one is not refused by Node: it warns and fires after 1 ms, so "monthly" cleanup
// (intervalMinutes: 43200) ran back to back, walking every archive and cache without pause. Such a value
// is refused with an error that names the field and the limit.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOperationsConfig } from '../src/index.ts';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

/** The message of the error the promise rejects with (fails the test when it resolves). */
async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

async function rootWith(yaml: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-ops-config-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  await writeFile(join(root, 'config', 'operations.yaml'), yaml);
  return root;
}

describe('config/operations.yaml intervals', () => {
  it('refuses a cleanup interval longer than a timer can wait, naming the field and the limit', async () => {
    const root = await rootWith('retention:\n  intervalMinutes: 43200 # monthly\n');
    const message = await messageOf(loadOperationsConfig(root, {}));
    expect(message).toContain('operations.yaml');
    expect(message).toContain('retention.intervalMinutes');
    expect(message).toContain('at most 35791 minutes');
    expect(message).toContain('43200');
  });

  it('refuses a disk guard check interval longer than a timer can wait', async () => {
    const root = await rootWith('diskGuard:\n  checkIntervalSeconds: 3000000\n');
    const message = await messageOf(loadOperationsConfig(root, {}));
    expect(message).toContain('diskGuard.checkIntervalSeconds');
    expect(message).toContain('at most 2147483 seconds');
  });

  it('says both values and what to do when only minFreeMb is raised above the resume threshold', async () => {
    const root = await rootWith('diskGuard:\n  minFreeMb: 5000\n');
    const message = await messageOf(loadOperationsConfig(root, {}));
    expect(message).toContain('diskGuard.resumeFreeMb');
    expect(message).toContain('resumeFreeMb (4096 MB) must be at least minFreeMb (5000 MB)');
    expect(message).toContain('set diskGuard.resumeFreeMb as well, e.g. 10000');
  });

  it('takes the longest interval that can be timed', async () => {
    const root = await rootWith(
      'retention:\n  intervalMinutes: 35791\ndiskGuard:\n  checkIntervalSeconds: 2147483\n',
    );
    const config = await loadOperationsConfig(root, {});
    expect(config.retention.intervalMinutes).toBe(35791);
    expect(config.diskGuard.checkIntervalSeconds).toBe(2147483);
  });
});
