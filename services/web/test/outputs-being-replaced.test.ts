// A job's page opened while the worker replaces its outputs (a mix of it saved, a re-run): publishing
// moves outputs/<job_id>/ to .replaced/ and then renames the partial folder (manifest.json inside) into its
// place, and between the two renames the job's folder does not exist. The mixer answered `available: false`
// then ("no (current) manifest"), the job page had no outputs and the job's files were 404: the page said
// "cannot mix" until it was reloaded. Here the folders are left in that moment by hand (the names of
// @imk/protocol's outputs layout), the requests are made, and the second rename comes 300 ms later: every
// answer is the job's, by the real dashboard on a real folder.
import { cp, mkdir, readFile, rename, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWavWriter } from '@imk/media';
import {
  REPLACED_DIR,
  REPLACE_WAIT_MS,
  STEM_NAMES,
  partialDirName,
  replacedName,
  stemCacheKey,
} from '@imk/protocol';
import { describe, expect, it } from 'vitest';
import { makeOutput, servedTempRoot } from './helpers.ts';

const served = servedTempRoot();
const RATE = 8000;
const ENGINE = { name: 'builtin', version: '1', params: {} };
const AUDIO = 'files/audio/Test Artist - Sine Song.m4a';

/** The stems of makeOutput's song in the dashboard's stem cache, stored as the worker stores them. */
async function cacheStems(root: string): Promise<void> {
  const sha = 'a'.repeat(64);
  const key = stemCacheKey({ inputSha256: sha, engine: ENGINE });
  const entry = join(root, 'state', 'cache', 'stems', key);
  await mkdir(entry, { recursive: true });
  const bytes: Record<string, number> = {};
  for (const stem of STEM_NAMES) {
    const writer = createWavWriter(join(entry, `${stem}.wav`), { sampleRate: RATE, channels: 2 });
    const tone = new Float32Array(RATE / 10).fill(0.1);
    await writer.write([tone, tone]);
    await writer.close();
    bytes[stem] = (await stat(join(entry, `${stem}.wav`))).size;
  }
  await writeFile(
    join(entry, 'meta.json'),
    JSON.stringify({ key, input_sha256: sha, engine: ENGINE, sample_rate: RATE, frames: RATE / 10, bytes }),
  );
}

/**
 * Leaves job `id` where publishOutputs is between its two renames: the new outputs, manifest.json last, in
 * the worker's partial folder; the earlier folder moved to .replaced/; outputs/<id>/ absent. Returns the
 * second rename.
 */
async function betweenTheRenames(root: string, id: string): Promise<() => Promise<void>> {
  const outputs = join(root, 'outputs');
  const partial = join(outputs, partialDirName(id, 'worker-1'));
  await cp(join(outputs, id), partial, { recursive: true });
  const manifest = JSON.parse(await readFile(join(partial, 'manifest.json'), 'utf8')) as {
    artifacts: { variant: string }[];
  };
  manifest.artifacts.push({ ...manifest.artifacts[0]!, variant: 'my_mix' });
  await writeFile(join(partial, 'manifest.json'), JSON.stringify(manifest));
  await mkdir(join(outputs, REPLACED_DIR), { recursive: true });
  await rename(join(outputs, id), join(outputs, REPLACED_DIR, replacedName(id, '20250101T000000Z')));
  return () => rename(partial, join(outputs, id));
}

/**
 * Job `id`, made, and a way to publish it again as publishOutputs does: its outputs copied to a new partial
 * folder (`before(partial)` runs on it then), the job folder moved to .replaced/ (where it stays), the
 * partial folder renamed in. Every publish is a new folder, as the worker's are.
 */
async function republishable(root: string, id: string) {
  await makeOutput(root, id);
  const outputs = join(root, 'outputs');
  const partial = join(outputs, partialDirName(id, 'worker-1'));
  await mkdir(join(outputs, REPLACED_DIR), { recursive: true });
  let published = 0;
  return {
    dir: join(outputs, id),
    publish: async (before?: (partial: string) => Promise<void>) => {
      await cp(join(outputs, id), partial, { recursive: true });
      await before?.(partial);
      await rename(join(outputs, id), join(outputs, REPLACED_DIR, replacedName(id, `2025${published++}`)));
      await rename(partial, join(outputs, id));
    },
  };
}

/**
 * Two readers, each calling `read` (what it found wrong, or undefined) again and again while `job` is
 * published: `least` publishes at the least, then until the readers have read `reads` times, at most `most`
 * publishes, `gapMs` apart; `before(i, partial)` runs before publish i. What they found, and how often read.
 */
async function readWhileRepublished(
  job: Awaited<ReturnType<typeof republishable>>,
  read: (reader: number) => Promise<string | undefined>,
  o: {
    least: number;
    reads: number;
    most: number;
    gapMs: number;
    before?: (i: number, partial: string) => Promise<void>;
  },
): Promise<{ wrong: string[]; reads: number }> {
  let publishing = true;
  const wrong: string[] = [];
  let reads = 0;
  const reader = async (n: number) => {
    while (publishing) {
      const said = await read(n);
      reads++;
      if (said !== undefined) wrong.push(said);
    }
  };
  const readers = [reader(0), reader(1)];
  for (let i = 0; i < o.most && (i < o.least || reads < o.reads); i++) {
    await job.publish(o.before && ((partial) => o.before!(i, partial)));
    await sleep(o.gapMs);
  }
  publishing = false;
  await Promise.all(readers);
  return { wrong, reads };
}

describe('a job page opened while a mix of the job is being saved', () => {
  it('answers the stems, the outputs and the files, not "missing", across the two renames', async () => {
    const { root, web } = served;
    await makeOutput(root, 'saving_mix');
    await cacheStems(root);
    const secondRename = await betweenTheRenames(root, 'saving_mix');

    const asked = Promise.all([
      fetch(`${web.url}/api/jobs/saving_mix/mixer`).then((r) => r.json()),
      fetch(`${web.url}/api/jobs/saving_mix`).then(async (r) => ({ status: r.status, body: await r.json() })),
      fetch(`${web.url}/outputs/saving_mix/${encodeURI(AUDIO)}`).then((r) => r.status),
    ]);
    await sleep(300);
    await secondRename();
    const [mixer, job, file] = await asked;

    expect(mixer).toMatchObject({ available: true });
    expect((mixer as { stems: unknown[] }).stems).toHaveLength(4);
    expect(job.status).toBe(200);
    const variants = (job.body as { output?: { artifacts: { variant: string }[] } }).output?.artifacts.map(
      (a) => a.variant,
    );
    // The new outputs (with the mix), read once they were back.
    expect(variants).toContain('my_mix');
    expect(file).toBe(200);
  });

  it('serves a file of the job, whole, to every download while the job is published again and again', async () => {
    // Between finding the file and opening it the folder can be moved aside (the file missing for a moment)
    // or the next one renamed in (a different file at the path): both were a 404 for the audio player.
    const { root, web } = served;
    const id = 'republished_file';
    const job = await republishable(root, id);
    const bytes = (await stat(join(job.dir, AUDIO))).size;
    // 150 publishes, 20 ms apart (a job is published again after a mix is made, seconds at the least).
    const { wrong, reads } = await readWhileRepublished(
      job,
      async () => {
        const response = await fetch(`${web.url}/outputs/${id}/${encodeURI(AUDIO)}`);
        const body = await response.arrayBuffer();
        if (response.status === 200 && body.byteLength === bytes) return undefined;
        return `${response.status}, ${body.byteLength} bytes: ${new TextDecoder().decode(body).slice(0, 200)}`;
      },
      { least: 150, reads: 0, most: 150, gapMs: 20 },
    );
    expect(reads).toBeGreaterThan(20);
    expect(wrong).toEqual([]);
  }, 60_000);

  it('draws the preview of a file of the job for every request while the job is published again and again', async () => {
    // The preview route read the manifest, checked the artifact, then ffmpeg opened it again by name: a
    // folder moved aside between any two of them was a 404 or a "cannot be previewed" for that moment.
    const { root, web } = served;
    const id = 'republished_preview';
    const job = await republishable(root, id);
    // The file to be published next gets a new mtime each time, so that its preview is not in the cache yet
    // (the cache key is the file's identity) and ffmpeg draws it while the folder is moved about. Until 16
    // previews are drawn (each is an ffmpeg run: slower on a busy machine), at most 1,000 publishes.
    const { wrong, reads } = await readWhileRepublished(
      job,
      async (reader) => {
        const kind = reader === 0 ? 'waveform' : 'spectrogram';
        const response = await fetch(`${web.url}/api/outputs/${id}/artifacts/0/${kind}.png`);
        const body = await response.arrayBuffer();
        // A PNG starts with \x89PNG.
        if (response.status === 200 && new Uint8Array(body)[1] === 0x50) return undefined;
        return `${kind}: ${response.status}: ${new TextDecoder().decode(body).slice(0, 200)}`;
      },
      {
        least: 0,
        reads: 16,
        most: 1000,
        gapMs: 30,
        before: (i, next) => {
          const when = new Date(Date.UTC(2025, 0, 1) + i * 1000);
          return utimes(join(next, AUDIO), when, when);
        },
      },
    );
    expect(reads).toBeGreaterThanOrEqual(16);
    expect(wrong).toEqual([]);
  }, 90_000);

  it('says every file of the job is on disk to every read of its page while the job is published again and again', async () => {
    // The page's outputs were read through the replace, but each artifact's state on disk was looked at
    // after that read: a folder moved aside in between showed every file as "missing" for that moment.
    const { root, web } = served;
    const job = await republishable(root, 'republished_page');
    const { wrong, reads } = await readWhileRepublished(
      job,
      async () => {
        const response = await fetch(`${web.url}/api/outputs/republished_page`);
        const body = (await response.json()) as { artifacts?: { path: string; on_disk?: string }[] };
        const states = (body.artifacts ?? []).map((a) => `${a.path}: ${String(a.on_disk)}`);
        if (response.status === 200 && states.length === 2 && states.every((said) => said.endsWith(': file')))
          return undefined;
        return `${response.status}: ${states.join(', ')}`;
      },
      { least: 150, reads: 100, most: 2000, gapMs: 5 },
    );
    expect(reads).toBeGreaterThanOrEqual(100);
    expect(wrong).toEqual([]);
  }, 60_000);

  it('the library lists the job across the two renames, with the mix being saved', async () => {
    const { root, web } = served;
    await makeOutput(root, 'listed_mix');
    const secondRename = await betweenTheRenames(root, 'listed_mix');
    const asked = fetch(`${web.url}/api/outputs?limit=all`).then((r) => r.json());
    await sleep(300);
    await secondRename();
    const library = (await asked) as { job_id: string; artifacts: number }[];
    const listed = library.find((output) => output.job_id === 'listed_mix');
    // The new outputs: makeOutput's two variants and the mix betweenTheRenames adds (old: not listed at all).
    expect(listed?.artifacts).toBe(3);
  });

  it('says at once that a job without outputs has none, while it is being made or not', async () => {
    const { root, web } = served;
    // A job being made: its partial folder holds files but no manifest.json yet (minutes to go).
    const partial = join(root, 'outputs', partialDirName('still_running', 'worker-1'));
    await mkdir(join(partial, 'files'), { recursive: true });
    for (const id of ['still_running', 'never_ran']) {
      const started = Date.now();
      const answer = (await (await fetch(`${web.url}/api/jobs/${id}/mixer`)).json()) as {
        available: boolean;
      };
      expect(answer.available, id).toBe(false);
      expect(Date.now() - started, id).toBeLessThan(REPLACE_WAIT_MS / 2);
    }
  });

  it('a worker stopped between the renames: the job has no outputs after the wait, as before', async () => {
    const { root, web } = served;
    await makeOutput(root, 'stopped_between');
    await betweenTheRenames(root, 'stopped_between');
    const started = Date.now();
    const job = await fetch(`${web.url}/api/jobs/stopped_between`);
    expect(job.status).toBe(404);
    // Waited for it, but not for ever.
    expect(Date.now() - started).toBeLessThan(REPLACE_WAIT_MS + 2000);
  });
});
