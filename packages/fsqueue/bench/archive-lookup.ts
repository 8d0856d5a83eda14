// node --import tsx packages/fsqueue/bench/archive-lookup.ts: what a publish and a claim cost when the
// queues of a root keep many archived jobs (each looks for the id in every queue's claimed/ and archives).
// Prints one JSON object, per call in ms (median of IMK_BENCH_ROUNDS, default 30).
//   IMK_BENCH_ARCHIVED (default 20000 archived jobs, spread over 3 queues and succeeded/failed/cancelled)
import { link, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createQueue, existingJob, findJobFolders, publishBundle } from '../src/index.ts';

const ARCHIVED = Number(process.env.IMK_BENCH_ARCHIVED ?? 20_000);
const ROUNDS = Number(process.env.IMK_BENCH_ROUNDS ?? 30);
const QUEUES = ['youtube_audio', 'deemix', 'other'];
const ARCHIVES = ['succeeded', 'failed', 'cancelled'];

/** Archived bundles as a consumer leaves them (an empty folder stands for one: only names are read) and their owner files. */
async function fill(queuesDir: string): Promise<void> {
  const owners = join(queuesDir, '.imk-job-ids');
  await mkdir(owners, { recursive: true });
  for (const queue of QUEUES)
    for (const folder of ['claimed', ...ARCHIVES])
      await mkdir(join(queuesDir, queue, folder), { recursive: true });
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ARCHIVED) {
      const i = next++;
      const queue = QUEUES[i % QUEUES.length]!;
      const id = `old${i}`;
      await mkdir(join(queuesDir, queue, ARCHIVES[i % ARCHIVES.length]!, `job_${id}@bench.${i}`));
      const owner = JSON.stringify({ job_id: id, queue, token: `bench.${i}`, consumer: 'bench' });
      await writeFile(join(owners, `.new-${i}`), `${owner}\n`);
      await link(join(owners, `.new-${i}`), join(owners, `${id}@1`));
      await rm(join(owners, `.new-${i}`));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timed(run: (round: number) => Promise<unknown>, rounds = ROUNDS): Promise<number> {
  const took: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    await run(round);
    took.push(performance.now() - started);
  }
  return Number(median(took).toFixed(2));
}

const root = await mkdtemp(join(tmpdir(), 'imk-bench-archives-'));
try {
  const queuesDir = join(root, 'queues');
  await fill(queuesDir);
  const queueDir = join(queuesDir, QUEUES[0]!);
  const queue = createQueue({ queueDir, consumerId: 'bench', watch: false, maintenance: false });
  const claims: { complete(): Promise<unknown> }[] = [];
  // A worker runs for hours: the folders that did not change are listed once (archive-listing.ts keeps a
  // listing that began 3 s or more after a folder's last change), then only stat'ed.
  const firstLook = await timed(() => existingJob(queueDir, 'first-look'), 1);
  await new Promise((resolve) => setTimeout(resolve, 3100));
  const result = {
    first_look_ms: firstLook,
    archived: ARCHIVED,
    queues: QUEUES.length,
    find_job_folders_ms: await timed((round) => findJobFolders(queueDir, `new${round}`)),
    existing_job_ms: await timed((round) => existingJob(queueDir, `free${round}`)),
    publish_ms: await timed((round) =>
      publishBundle({
        queueDir,
        job: { job_id: `pub${round}`, source_type: 'local', audio_path: 'audio.m4a', title: 't' },
        files: [{ name: 'audio.m4a', data: 'audio' }],
      }),
    ),
    // The claim alone (its archive, when it completes, is not what looks for the id).
    claim_ms: await timed(async () => {
      const claim = await queue.claim();
      if (!claim) throw new Error('nothing to claim');
      claims.push(claim);
    }),
  };
  for (const claim of claims) await claim.complete();
  await queue.close();
  console.log(JSON.stringify(result));
} finally {
  await rm(root, { recursive: true, force: true });
}
