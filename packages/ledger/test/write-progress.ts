// A separate process writing progress, as a worker does, for the cross-process subscribe test. With an
// acknowledgement folder, it writes each next value only once the follower has said it saw this one (a file
// named by the percent there), so that what the test proves does not depend on the machine's load.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openLedger } from '../src/index.ts';

const [file, jobId, ackDir] = process.argv.slice(2) as [string, string, string | undefined];
const ledger = openLedger({ file, progressIntervalMs: 0 });
ledger.recordState(jobId, { state: 'running', stage: 'separate', attempt: 1, consumer: 'child' });
for (const fraction of [0.25, 0.5, 0.75]) {
  ledger.setProgress(jobId, { stage: 'separate', fraction, attempt: 1, consumer: 'child' });
  const deadline = Date.now() + 60_000;
  const seen = ackDir === undefined ? undefined : join(ackDir, String(fraction * 100));
  do {
    if (Date.now() > deadline)
      throw new Error(`nobody followed the progress ${fraction * 100} % within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, seen === undefined ? 150 : 10));
  } while (seen !== undefined && !existsSync(seen));
}
ledger.close();
