// Ctrl-C in a terminal sends SIGINT to every process of the foreground process group: `imk up` (or `imk run`)
// and the ffmpeg / ffprobe it runs for a job. imk stops claiming and lets running jobs finish (its grace
// period), but the tools it ran were killed by that same SIGINT under it: the job then failed, an attempt
// spent (FFMPEG_FAILED "killed by SIGINT"), or for good as MEDIA_UNREADABLE ("it is corrupt or not a media
// format ffprobe knows (exit undefined)") when ffprobe died: a waiting bundle of the earlier version set aside
// as broken by a stop. The tools now run in a process group of their own, so the stop is imk's to decide: the
// job finishes in the grace period and is published; and when imk ends at once, they end with it.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitOf, within } from '@imk/fs-safe/testing';
import { materializeLegacySample } from '@imk/media/legacy-samples';
import { ctrlC, ctrlCUntilStopping, imkInOwnGroup, runOnceSeparating, toolsOf, until } from './ctrl-c-kit.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-ctrl-c-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** The earlier version's bundle waiting in `dir`'s queues. */
const waitingBundle = (dir: string) =>
  materializeLegacySample('bundles/job_leg_wav_001', join(dir, 'queues', 'other', 'job_leg_wav_001'));

/** `imk run --once` on `dir`, in a process group of its own, as a shell runs a command at its prompt. */
const runOnce = (dir: string, env: Record<string, string> = {}) => imkInOwnGroup(['run', '--once'], dir, env);

/**
 * The tools `pid` runs once its job is in the encode stage (its partial outputs folder is there), the same
 * ones at two looks 100 ms apart. A tool is in imk's group from its fork until its setsid, so a Ctrl-C in that
 * instant still ends it (its job is handed back, its attempt not counted: ctrl-c-window.test.ts); the encode stage
 * starts its ffmpeg runs together, so the first one seen is often the moment the next one is being started.
 */
async function encodingTools(pid: number, dir: string, ended: () => boolean): Promise<string[]> {
  let tools: string[] = [];
  let seen = '';
  let since = 0;
  const encoding = () => existsSync(join(dir, 'outputs')) && readdirSync(join(dir, 'outputs')).length > 0;
  const settled = () => {
    tools = encoding() ? toolsOf(pid, ['ffmpeg', 'ffprobe']) : [];
    const now = tools.join(' ');
    if (now !== seen) [seen, since] = [now, Date.now()];
    return tools.length > 0 && Date.now() - since >= 100;
  };
  await within(
    until(() => settled() || ended()),
    60_000,
    'the job to run ffmpeg or ffprobe in its encode stage',
  );
  expect(tools.length, 'imk ended before it ran a tool').toBeGreaterThan(0);
  return tools;
}

describe('Ctrl-C while a job runs ffmpeg', () => {
  it('lets the job finish and publish: the tools are not killed by the signal meant for imk', async () => {
    // The encode stage starts one ffmpeg after another: a Ctrl-C that lands between one's fork and its
    // setsid still ends it, and the job is handed back at shutdown (ctrl-c-window.test.ts), not published.
    // That instant is tried again, up to three times in all; tools in imk's group (what this test is for)
    // would be killed, and the job handed back, every time.
    for (let attempt = 1; ; attempt++) {
      const dir = join(root, `once-${attempt}`);
      await waitingBundle(dir);
      const run = runOnce(dir);
      await encodingTools(run.pid!, dir, () => run.exitCode !== null);
      // Ctrl-C: SIGINT to the whole group.
      ctrlC(run.pid!);
      const result = await exitOf(run, 'imk run --once after Ctrl-C', 90_000);
      const failed = await readdir(join(dir, 'queues', 'other', 'failed')).catch(() => []);
      expect(failed, String(result.all)).toEqual([]);
      expect(result.exitCode, String(result.all)).toBe(0);
      const published = await readdir(join(dir, 'outputs', 'leg_wav_001')).catch((): string[] => []);
      if (
        attempt < 3 &&
        !published.includes('manifest.json') &&
        /released to ready at shutdown/.test(String(result.all))
      )
        continue;
      expect(published, String(result.all)).toContain('manifest.json');
      return;
    }
  }, 400_000);

  it('Ctrl-C twice ends imk at once, and the tool its job runs ends with it (it is no longer in its group)', async () => {
    const dir = join(root, 'twice');
    await waitingBundle(dir);
    // A demucs that takes minutes: the job's separation runs for as long as the test.
    const { run, tools } = await runOnceSeparating(dir);
    await ctrlCUntilStopping(run);
    ctrlC(run.pid!);
    const result = await exitOf(run, 'imk run --once after Ctrl-C twice', 30_000);
    expect(result.signal ?? result.exitCode, String(result.all)).toBe('SIGINT');
    const left = () => tools.filter((tool) => existsSync(`/proc/${tool}`));
    await within(
      until(() => left().length === 0, 20),
      10_000,
      'the demucs imk ran to end with it',
      () => `still running: ${left().join(', ')}`,
    );
  }, 150_000);
});
