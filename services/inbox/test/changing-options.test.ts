import { appendFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { JobSchema, sidecarCandidates } from '@imk/protocol';
import { createInbox, loadInboxSettings, type InboxSettings } from '../src/index.ts';

// A song's per-song options file written to while the inbox copied it into the bundle (an editor saving
// it, a script still appending) made the queue's publish fail with SOURCE_NOT_FILE, a fact about the file,
// and the inbox set the song and its options aside in .rejected/ for good. A file that is changing is
// passing trouble: the publish says FILE_CHANGED (retryable), the inbox leaves both where they are, and
// takes them once the options stop changing. The options file is appended to at every turn of this
// process's event loop while the real inbox, in this process, takes the song: its copy of the file reads
// it a chunk at a time, each read a turn of the loop, so appends fall inside the copy whatever the
// machine's load. (A python process appending as fast as it could got no CPU during the few milliseconds
// of the copy on a loaded machine: the song was queued at the first look.)
let root: string;
let settings: InboxSettings;
let stopWriting: (() => void) | undefined;
const SONG = 'Band - Song.mp3';
const OPTIONS = 'Band - Song.stems.yml';
const OPTIONS_TEXT = 'stems: VD\n';

/** Appends a comment line to `path` at every turn of the event loop until the function returned is called. */
function appendEveryTurn(path: string): () => void {
  let writing = true;
  const append = (): void => {
    if (!writing) return;
    appendFileSync(path, '# still writing\n');
    setImmediate(append);
  };
  setImmediate(append);
  return () => {
    writing = false;
  };
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-changing-'));
  settings = await loadInboxSettings(root, { stableChecks: 1 });
  await mkdir(settings.dir, { recursive: true });
  await execa('ffmpeg', [
    ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:a', 'libmp3lame', '-metadata', 'artist=Band', '-metadata', 'title=Song'],
    join(settings.dir, SONG),
  ]);
  // Long enough that copying it takes many of the writer's appends.
  await writeFile(join(settings.dir, OPTIONS), OPTIONS_TEXT + '# padding\n'.repeat(400_000));
});
afterAll(async () => {
  stopWriting?.();
  await rm(root, { recursive: true, force: true });
});

describe('a song whose options file is being written to while the inbox copies it', () => {
  it('is left in the inbox with its options (FILE_CHANGED, tried again), then queued with them once they are quiet', async () => {
    const out = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const inbox = createInbox(settings, createLogger('test', { destination: out, level: 'debug' }));
    stopWriting = appendEveryTurn(join(settings.dir, OPTIONS));

    const outcomes = await inbox.scan();
    // Neither set aside nor queued: both stay where they were dropped.
    expect(outcomes, JSON.stringify(lines)).toEqual([]);
    expect((await readdir(settings.dir)).filter((n) => !n.startsWith('.')).sort()).toEqual(
      [OPTIONS, SONG].sort(),
    );
    expect(await readdir(join(settings.dir, '.rejected')).catch(() => [])).toEqual([]);
    const retried = lines.find((line) => line.msg === 'could not queue; will try again');
    expect(retried?.err, JSON.stringify(lines)).toMatch(/changed while it was being read/);

    stopWriting();
    const later = await inbox.scan();
    expect(later.map((o) => o.outcome)).toEqual(['queued']);
    const dir = join(settings.queueDir, `job_${later[0]!.jobId!}`);
    const job = JobSchema.parse(JSON.parse(await readFile(join(dir, 'job.json'), 'utf8')));
    const options = await readFile(join(dir, sidecarCandidates(job.audio_path!)[0]!), 'utf8');
    expect(options.startsWith(OPTIONS_TEXT)).toBe(true);
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual([OPTIONS, SONG].sort());
  });
});
