// What the deemix retriever's tests share: the deemix stand-in, a root with its settings, a logger whose
// lines a test reads, the job a bundle holds, and a wait that says what it saw.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { createLogger } from '@imk/log';
import { JobSchema } from '@imk/protocol';
import { loadDeemixSettings, type DeemixConfig } from '../src/index.ts';

// deemix needs Deezer (no network here): these tests run an executable stand-in that checks deemix's
// arguments and ARL file and writes what deemix writes (tagged files with embedded covers).
export const STAND_IN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'deemix-stand-in.mjs');
export const ARL = 'a1b2c3d4e5f6'.repeat(16);
const roots: string[] = [];

/** Removes the roots a file's tests made, after them. */
export function deemixFixtures(): void {
  afterAll(async () => {
    await Promise.all(roots.map((dir) => rm(dir, { recursive: true, force: true })));
  });
}

export function capturingLogger() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('test', { level: 'debug', destination }), lines };
}

export async function setup(overrides: Partial<DeemixConfig> = {}) {
  const root = await mkdtemp(join(tmpdir(), 'imk-dz-'));
  roots.push(root);
  const settings = await loadDeemixSettings(root, { deemixPath: STAND_IN, ...overrides });
  const standInLog = join(root, 'stand-in.log');
  const env = { IMK_DEEMIX_ARL: ARL };
  process.env.STAND_IN_VALID_ARL = ARL;
  process.env.STAND_IN_LOG = standInLog;
  const calls = async () =>
    (await readFile(standInLog, 'utf8'))
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { argv: string[]; arlFilePresent: boolean; arlFileMode: string; stdin: string },
      );
  return { root, settings, env, calls };
}

export async function jobOf(dir: string) {
  return JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
}

/** Waits until `check` holds; after `timeoutMs` fails naming `what` it awaited and what was `seen` instead. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  seen: () => Promise<string>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${await seen()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
