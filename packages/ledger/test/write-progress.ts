// A separate process writing progress, as a worker does, for the cross-process subscribe test.
import { openLedger } from '../src/index.ts';

const [file, jobId] = process.argv.slice(2) as [string, string];
const ledger = openLedger({ file, progressIntervalMs: 0 });
ledger.recordState(jobId, { state: 'running', stage: 'separate', attempt: 1, consumer: 'child' });
for (const fraction of [0.25, 0.5, 0.75]) {
  ledger.setProgress(jobId, { stage: 'separate', fraction, attempt: 1, consumer: 'child' });
  await new Promise((resolve) => setTimeout(resolve, 150));
}
ledger.close();
