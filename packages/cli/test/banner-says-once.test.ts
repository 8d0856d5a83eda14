import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { healthChecksOf, degradedReasons } from '../src/service-health.ts';
import { loadAllServices } from '../src/services.ts';

const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The files and docs a banner line points at (config/nas-sync.example.yaml, docs/nas-sync.md), with repeats. */
const pointers = (line: string): string[] => line.match(/[\w./-]+\.(?:md|ya?ml)\b/g) ?? [];

describe("a running service's dashboard banner says each piece of advice once", () => {
  it.each([
    ['no config/nas-sync.yaml', undefined],
    ['a nas-sync.yaml without a nasSync section', '{}\n'],
  ])('nas-sync with %s', async (_name, yaml) => {
    const root = await mkdtemp(join(tmpdir(), 'imk-banner-'));
    roots.push(root);
    if (yaml !== undefined) {
      await mkdir(join(root, 'config'));
      await writeFile(join(root, 'config', 'nas-sync.yaml'), yaml);
    }
    const { services } = await loadAllServices();
    const nasSync = services.find((service) => service.name === 'nas-sync');
    const [line] = (await degradedReasons(root, healthChecksOf(nasSync!))).filter((l) =>
      l.includes('nothing is synced'),
    );
    expect(line).toMatch(/nothing is synced \(fix: write .*nas-sync\.example\.yaml/);
    const said = pointers(line!).filter((pointer) => !pointer.endsWith('config/nas-sync.yaml'));
    expect(said).toEqual([...new Set(said)]);
  });
});
