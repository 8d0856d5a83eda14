import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, code, sourceFiles } from './source-files.ts';

// Ctrl-C in a terminal sends SIGINT to every process of the foreground group. A tool run in imk's group died
// under the work imk meant to let finish (its grace period): a job's ffmpeg, nas-sync's rsync (the delivery
// failed, an attempt counted), a retriever's deemix (its request failed for good). Every tool a service runs
// is started in a process group of its own and tracked, so that it ends with imk (@imk/tools, tool-group.ts):
// `trackToolGroup(execa(…, { ...OWN_PROCESS_GROUP, … }))`. This guard finds a new way of running a tool that
// forgot it.

/** Offline corpus builders the benches run (no service or command of imk runs them). */
const NOT_RUN_BY_A_SERVICE = ['packages/separation/src/corpus/', 'packages/separation/src/gm-corpus/'];

describe('tools in process groups of their own', () => {
  it('every execa or fork of a source file starts its tool with OWN_PROCESS_GROUP, tracked', async () => {
    const missing: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      if (NOT_RUN_BY_A_SERVICE.some((dir) => path.startsWith(dir))) continue;
      const text = code(await readFile(file, 'utf8')).replace(/^import [^;]*;/gm, '');
      const started = text.match(/\b(?:execa|fork|spawn|execFile)\(/g)?.length ?? 0;
      const grouped = text.match(/\bOWN_PROCESS_GROUP\b/g)?.length ?? 0;
      const tracked = text.match(/\btrackToolGroup\(/g)?.length ?? 0;
      if (started > Math.min(grouped, tracked))
        missing.push(`${path}: ${started} started, ${grouped} in their own group, ${tracked} tracked`);
    }
    expect(missing).toEqual([]);
  });
});
