// The dashboard's mixer reads stems from the worker's stem cache. When config/instrumental-maker.yaml puts
// that cache somewhere else (stemCache.dir), the CLI's composition must hand that folder to the web service,
// or the mixer says "cleaned up" about stems that are there.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { STEM_NAMES, stemCacheKey } from '@imk/protocol';
import { minimalManifest } from '@imk/protocol/testing';
import { within } from '@imk/fs-safe/testing';
import { compositionFor } from '../src/compose/index.ts';
import { runServices } from '../src/supervisor.ts';

const logger = createLogger('test', { level: 'silent' });
const ENGINE = { name: 'builtin', version: '1', params: {} };
const SHA = 'b'.repeat(64);
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-stem-cache-compose-'));
  await mkdir(join(root, 'config'), { recursive: true });
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A published job (manifest only) and its stems in the cache folder `dir`, as the worker leaves them. */
async function publishedJobWithStems(jobId: string, dir: string): Promise<void> {
  const outputs = join(root, 'outputs', jobId);
  await mkdir(outputs, { recursive: true });
  const manifest = minimalManifest(jobId, { input: { sha256: SHA, duration_sec: 1 }, engine: ENGINE });
  await writeFile(join(outputs, 'manifest.json'), JSON.stringify(manifest));
  const key = stemCacheKey({ inputSha256: SHA, engine: ENGINE });
  await mkdir(join(dir, key), { recursive: true });
  const bytes: Record<string, number> = {};
  for (const stem of STEM_NAMES) {
    await writeFile(join(dir, key, `${stem}.wav`), 'RIFF');
    bytes[stem] = 4;
  }
  // The meta.json the worker writes (protocol's readStemCacheEntry, the one reader, wants all of it).
  const meta = { key, input_sha256: SHA, engine: ENGINE, sample_rate: 44100, frames: 0, bytes };
  await writeFile(join(dir, key, 'meta.json'), JSON.stringify(meta));
}

describe("the web service gets the worker's stem cache folder", () => {
  it('resolves stemCache.dir from the config, relative to the root or absolute, else the default', async () => {
    const dirOf = async () =>
      ((await compositionFor('web', root, logger)).stemCacheDir as () => Promise<string>)();
    expect(await dirOf()).toBe(join(root, 'state', 'cache', 'stems'));
    await writeFile(join(root, 'config', 'instrumental-maker.yaml'), 'stemCache:\n  dir: big-disk/stems\n');
    expect(await dirOf()).toBe(join(root, 'big-disk', 'stems'));
    const elsewhere = join(root, 'elsewhere');
    await writeFile(join(root, 'config', 'instrumental-maker.yaml'), `stemCache:\n  dir: ${elsewhere}\n`);
    expect(await dirOf()).toBe(elsewhere);
    // The variable wins over the file, in the dashboard's process as in the worker's (one process: imk up).
    process.env.IMK_INSTRUMENTAL_MAKER__STEM_CACHE__DIR = join(root, 'from-env');
    try {
      expect(await dirOf()).toBe(join(root, 'from-env'));
    } finally {
      delete process.env.IMK_INSTRUMENTAL_MAKER__STEM_CACHE__DIR;
    }
  });

  it('the mixer of `imk run web` finds the stems in the configured folder', async () => {
    await writeFile(join(root, 'config', 'instrumental-maker.yaml'), 'stemCache:\n  dir: big-disk/stems\n');
    await publishedJobWithStems('moved_cache', join(root, 'big-disk', 'stems'));
    const stop = new AbortController();
    let listening: (url: string) => void = () => undefined;
    const url = new Promise<string>((resolve) => (listening = resolve));
    const running = runServices({
      root,
      logger,
      serviceLogger: () => logger,
      names: ['web'],
      signal: stop.signal,
      extras: { web: { overrides: { port: 0 }, cleanupSchedule: false } },
      onListening: (u) => listening(u),
    });
    try {
      const info = (await (await fetch(`${await url}/api/jobs/moved_cache/mixer`)).json()) as {
        available: boolean;
        stems: { name: string }[];
      };
      expect(info, JSON.stringify(info)).toMatchObject({ available: true });
      expect(info.stems.map((s) => s.name)).toEqual([...STEM_NAMES]);
    } finally {
      stop.abort();
      await within(running, 60_000, 'the web service to stop once its signal was aborted');
    }
  });
});
