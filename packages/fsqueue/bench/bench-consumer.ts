// One consumer process of the queue benchmark: waits for the start file, then claims and completes jobs
// (fsync on, hashes verified) until the stop file exists and nothing is left, recording
// "<jobId> <claimEpochMs> <completeEpochMs>" per job in its log.
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { createQueue } from '../src/index.ts';

const args = JSON.parse(process.argv[2] ?? '{}') as {
  queueDir: string;
  consumerId: string;
  log: string;
  readyFile: string;
  startFile: string;
  stopFile: string;
};
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const queue = createQueue({ queueDir: args.queueDir, consumerId: args.consumerId });
writeFileSync(args.readyFile, String(process.pid));
while (!existsSync(args.startFile)) await sleep(5);

const startCpu = process.cpuUsage();
let drainedCpuWritten = false;
let lines: string[] = [];
const flush = (): void => {
  if (lines.length > 0) appendFileSync(args.log, lines.join(''));
  lines = [];
};
for (;;) {
  const claim = await queue.claim();
  if (claim) {
    const claimedAt = now();
    await claim.complete();
    lines.push(`${claim.jobId} ${claimedAt.toFixed(2)} ${now().toFixed(2)}\n`);
    if (lines.length >= 100) flush();
    continue;
  }
  flush();
  // CPU this process spent up to the first time it found the backlog drained (once).
  if (!drainedCpuWritten) {
    drainedCpuWritten = true;
    const cpu = process.cpuUsage(startCpu);
    writeFileSync(`${args.log}.cpu`, `${cpu.user / 1000} ${cpu.system / 1000}\n`);
  }
  if (existsSync(args.stopFile)) break;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 100);
  await queue.waitForWork(abort.signal);
  clearTimeout(timer);
}
flush();
await queue.close();
