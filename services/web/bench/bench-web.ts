// Dashboard latency on a busy system: 5,000 archived jobs in the folders and the ledger, 50 waiting.
// Prints JSON. Run: npm run bench:web
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '@imk/log';
import { openLedger } from '@imk/ledger';
import { listenWeb } from '../src/index.ts';

const root = await mkdtemp(join(tmpdir(), 'imk-web-bench-'));
const N = 5000;
for (let i = 0; i < N; i++) {
  const dir = join(root, 'queues', 'other', i % 10 === 0 ? 'failed' : 'succeeded', `job_j${i}@w.x`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({ job_id: `j${i}`, source_type: 'local', title: `T${i}`, audio_path: 'a.wav' }),
  );
}
for (let i = 0; i < 50; i++) {
  const dir = join(root, 'queues', 'youtube_audio', `job_r${i}`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, 'job.json'),
    JSON.stringify({ job_id: `r${i}`, source_type: 'youtube', title: `R${i}`, audio_path: 'a.wav' }),
  );
}
const ledger = openLedger({ root });
for (let i = 0; i < N; i++)
  ledger.recordState(`j${i}`, { state: 'succeeded' }, { queue: 'other', title: `T${i}` });
for (let i = 0; i < N; i++)
  ledger.recordStage(`j${i}`, {
    stage: 'separate',
    startedAt: new Date().toISOString(),
    durationSec: 1 + (i % 7),
    outcome: 'ok',
  });
ledger.close();
const stop = new AbortController();
const logger = createLogger('b', { destination: new Writable({ write: (_c, _e, d) => d() }) });
const web = await listenWeb({ root, logger, signal: stop.signal, overrides: { port: 0 } });
async function time(path: string, n: number) {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await (await fetch(web.url + path)).text();
    t.push(performance.now() - s);
  }
  t.sort((a, b) => a - b);
  return { path, p50_ms: +t[Math.floor(n / 2)]!.toFixed(1), max_ms: +t.at(-1)!.toFixed(1) };
}
console.log(
  JSON.stringify({
    archived_jobs: N,
    ready_jobs: 50,
    ledger_rows: N,
    results: [
      await time('/api/status', 20),
      await time('/metrics', 20),
      await time('/api/jobs?limit=300', 20),
    ],
  }),
);
stop.abort();
await web.closed;
await rm(root, { recursive: true, force: true });
