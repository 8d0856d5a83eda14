// Ctrl-C (SIGINT to `imk run`'s group) while a job looks at its bundle's cover. The worker lets the job finish
// (its grace period), but an ffprobe started at the very instant of the Ctrl-C is still in imk's process
// group (from its fork to its setsid) and dies by it: the look at the cover failed, the cover was taken for
// "not a picture", and the job, finished within the grace, published its song without its cover for good.
// Once the stop came, a failed look decides nothing: the job is handed back to ready, its attempt not
// counted, and the next start publishes it with its cover. The ffprobe that looks at the cover is held (a
// wrapper that runs the real one) and killed by SIGINT once imk says it stops, as in that instant.
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { probeMedia } from '@imk/media';
import { ctrlCUntilStopping, imkInOwnGroup, until } from '../../../packages/cli/test/ctrl-c-kit.ts';
import { makeCover, makeRoot, makeSong, publishLegacy, readManifest, removeRoot } from './helpers.ts';

let root = '';
beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'] });
  await makeSong(join(root, 'song.m4a'), 2, 1);
  await makeCover(join(root, 'cover.png'));
  await publishLegacy(
    root,
    'other',
    {
      job_id: 'covered',
      source_type: 'youtube',
      artist: 'A',
      title: 'Covered',
      audio_path: 'song.m4a',
      cover_path: 'cover.png',
    },
    { 'song.m4a': join(root, 'song.m4a'), 'cover.png': join(root, 'cover.png') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

/**
 * An ffprobe that, the first time it is asked about a file named cover.png (it reads it from a descriptor
 * the worker opened, /proc/self/fd/N), writes its pid to `started` and waits to be killed; else the real one.
 */
async function ffprobeHeldAtTheCover(started: string): Promise<string> {
  const wrapper = join(root, 'ffprobe-held');
  await writeFile(
    wrapper,
    `#!/bin/sh
for arg in "$@"; do
  case "$(readlink -f "$arg" 2>/dev/null)" in
    */cover.png) if [ ! -e "${started}" ]; then echo $$ > "${started}"; while :; do sleep 0.05; done; fi ;;
  esac
done
exec ffprobe "$@"
`,
  );
  await chmod(wrapper, 0o755);
  return wrapper;
}

describe('Ctrl-C while a job looks at its cover', () => {
  it('the look the stop ended decides nothing: the job is handed back, then published with its cover', async () => {
    const started = join(root, 'ffprobe-started');
    const env = { IMK_FFPROBE: await ffprobeHeldAtTheCover(started) };
    const run = imkInOwnGroup(['run', '--once'], root, env);
    await within(
      until(() => existsSync(started) || run.exitCode !== null, 20),
      60_000,
      'the job to look at its cover',
    );
    expect(run.exitCode, 'imk ended before it looked at the cover').toBeNull();
    await ctrlCUntilStopping(run);
    // The look at the cover dies by the SIGINT, as one started at the instant of the Ctrl-C does.
    const pid = Number(readFileSync(started, 'utf8').trim());
    try {
      process.kill(-pid, 'SIGINT');
    } catch {
      process.kill(pid, 'SIGINT');
    }
    const result = await exitOf(run, 'imk run --once after Ctrl-C', 60_000);
    const log = String(result.all);
    expect(existsSync(join(root, 'outputs', 'covered', 'manifest.json')), log).toBe(false);
    const ready = join(root, 'queues', 'other', 'job_covered');
    expect(existsSync(join(ready, 'job.json')), log).toBe(true);
    const state = JSON.parse(await readFile(join(ready, 'imk-state.json'), 'utf8')) as { attempts: number };
    expect(state.attempts, log).toBe(0);
    expect(log).toMatch(/job released to ready at shutdown/);
    expect(log).not.toContain('the outputs have no cover');

    // The next start (the look no longer held): published once, with its cover.
    const again = await exitOf(imkInOwnGroup(['run', '--once'], root, env), 'imk run --once', 120_000);
    const manifest = await readManifest(root, 'covered');
    expect(manifest.warnings ?? [], String(again.all)).toEqual([]);
    const file = join(root, 'outputs', 'covered', manifest.artifacts[0]!.path);
    const pictures = (await probeMedia(file)).streams.filter((s) => s.type === 'video');
    expect(pictures, file).toHaveLength(1);
  }, 240_000);
});
