import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, sineFile } from './helpers.ts';

/**
 * The earlier Python project's documents (bundles, outputs, sidecar, .env, routes), kept beside the
 * repository in ../shared/legacy-samples (relative to the repository root), never copied into it.
 */
export const LEGACY_SAMPLES = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../shared/legacy-samples',
);

/** A legacy sample file's path, e.g. `legacySample('legacy.env.example')`. */
export function legacySample(...parts: string[]): string {
  return path.join(LEGACY_SAMPLES, ...parts);
}

/** Media that sat beside one sample's JSON, one tone per file so that outputs can be told apart. */
async function makeMedia(file: string, frequency: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const ext = path.extname(file).toLowerCase();
  if (ext === '.jpg' || ext === '.jpeg' || ext === '.png') {
    await generate(file, '-f', 'lavfi', '-i', 'color=c=blue:s=64x64:d=1', '-frames:v', '1');
  } else if (ext === '.mp4') {
    await generate(
      file,
      '-f',
      'lavfi',
      '-i',
      'testsrc=s=160x120:r=10:d=5',
      '-f',
      'lavfi',
      '-i',
      `sine=frequency=${frequency}:sample_rate=44100:duration=5`,
      '-ac',
      '2',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
    );
  } else {
    const codec = ext === '.m4a' ? ['-c:a', 'aac', '-b:a', '128k'] : [];
    await sineFile(file, { seconds: 5, frequency, codec });
  }
}

/**
 * Copies one sample folder (e.g. `bundles/job_leg_wav_001` or `outputs/pyout_audio_001`) to `dest` and
 * regenerates with ffmpeg every media file its FILES.txt lists (5 s each). FILES.txt itself is not copied.
 */
export async function materializeLegacySample(sample: string, dest: string): Promise<string[]> {
  const from = legacySample(sample);
  await mkdir(dest, { recursive: true });
  for (const entry of await readdir(from)) {
    if (entry === 'FILES.txt') continue;
    await cp(path.join(from, entry), path.join(dest, entry), { recursive: true });
  }
  const listed = (await readFile(path.join(from, 'FILES.txt'), 'utf8'))
    .split('\n')
    .map((line) => line.trim().replace(/^\.\//, ''))
    .filter((line) => line !== '');
  let frequency = 220;
  for (const file of listed) {
    await makeMedia(path.join(dest, file), frequency);
    frequency += 110;
  }
  return listed;
}

/**
 * A library of the earlier version's finished outputs, as big as asked: its `pyout_inst_003` manifest under
 * the ids `pyout_song_000`, `pyout_song_001`, … (titles `Song 0`, …) in `outputsDir`, without media (listing
 * them needs none). Returns the ids.
 */
export async function writeLegacyLibrary(outputsDir: string, count: number): Promise<string[]> {
  const manifest = JSON.parse(
    await readFile(legacySample('outputs', 'pyout_inst_003', 'manifest.json'), 'utf8'),
  ) as Record<string, unknown>;
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const jobId = `pyout_song_${String(i).padStart(3, '0')}`;
    await mkdir(path.join(outputsDir, jobId), { recursive: true });
    await writeFile(
      path.join(outputsDir, jobId, 'manifest.json'),
      JSON.stringify({ ...manifest, job_id: jobId, title: `Song ${i}` }, null, 2),
    );
    ids.push(jobId);
  }
  return ids;
}
