import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { configFiles, formattedConfigReference, resolveConfigField } from './config-reference.ts';
import { SERVICE_NAMES } from './services.ts';

const DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'configuration.md');

describe('configuration reference', () => {
  it('docs/configuration.md matches the zod schemas (run `npm run docs:config` after changing a schema)', async () => {
    const committed = await readFile(DOC, 'utf8');
    const fresh = await formattedConfigReference(DOC);
    expect(committed, 'docs/configuration.md is out of date: run `npm run docs:config`').toBe(fresh);
  });

  it('covers the config file of every service, of paths, of notify and of operations', async () => {
    const files = (await configFiles()).map((f) => f.service);
    expect(files).toEqual([...SERVICE_NAMES, 'paths', 'notify', 'operations']);
    const doc = await readFile(DOC, 'utf8');
    for (const service of files) expect(doc).toContain(`## ${service}`);
  });

  it('resolves env override names to fields the way the config loader matches them', () => {
    const schema = z.object({
      diskGuard: z.object({ minFreeMb: z.number() }),
      backends: z.record(z.string(), z.object({ host: z.string() })),
    });
    expect(resolveConfigField(schema, ['DISK_GUARD', 'MIN_FREE_MB'])).toBe('diskGuard.minFreeMb');
    expect(resolveConfigField(schema, ['BACKENDS', 'NAS', 'HOST'])).toBe('backends.nas.host');
    expect(resolveConfigField(schema, ['DISK_GUARD', 'MIN_FREE'])).toBeUndefined();
    expect(resolveConfigField(schema, ['NOPE'])).toBeUndefined();
  });
});
