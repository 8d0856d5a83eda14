import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, sourceFiles } from './source-files.ts';

// STYLE 5 and 15: an error a user can meet is an ImkError with a code from its package's catalogue (the
// policy: retry or not, the HTTP status) and a message that names the file, field or job and the fix.
// @imk/http-guard refused an allowedHosts entry of the dashboard's config with a plain Error ('"https://x/"
// is not a host name or host:port'): no code, no policy, no field. The plain errors made today are listed
// with why each is not one a user meets; a new one fails here: make it an ImkError of the catalogue, or,
// when it is such an internal one, add it below with the reason.
const KNOWN: Record<string, { count: number; why: string }> = {
  'packages/cli/src/config-defaults-doc.ts': { count: 7, why: 'docs generation (npm run docs:config)' },
  'packages/cli/src/shutdown.ts': { count: 1, why: 'an abort reason, never shown' },
  'packages/tools/src/grace.ts': { count: 1, why: 'an abort reason; a stopped tool is said by its caller' },
  'packages/cli/src/state-writable.ts': {
    count: 1,
    why: 'errno-shaped (ENOTDIR); its caller names the folder',
  },
  'packages/config/src/load-config.ts': { count: 1, why: 'wraps a non-Error rejection' },
  'packages/fs-safe/src/contain.ts': { count: 1, why: 'an ENOENT errno, named by untrustedErrnoError' },
  'packages/fs-safe/src/corrupt-file.ts': {
    count: 1,
    why: 'SQLite-shaped (SQLITE_CORRUPT); the openers name the file (LEDGER_CORRUPT, RECEIPTS_CORRUPT)',
  },
  'packages/fs-safe/src/regular-file.ts': { count: 2, why: 'errno-shaped, with the file; callers wrap them' },
  'packages/fs-safe/src/write-error.ts': { count: 2, why: "a write's errno named with its file, cause kept" },
  'packages/fs-safe/src/write-fully.ts': {
    count: 1,
    why: 'errno-shaped (ENOSPC, a write that wrote nothing); callers name the file (writeError)',
  },
  'packages/notify/src/outbox.ts': { count: 1, why: 'a claim name it made itself; an invariant' },
  'packages/protocol/src/field-table.ts': { count: 1, why: 'docs generation (npm run schemas)' },
  'packages/separation/src/builtin/hpss.ts': { count: 1, why: 'an invariant of the DSP' },
  'packages/separation/src/builtin/repet-sim.ts': { count: 2, why: 'invariants of the DSP' },
  'packages/separation/src/corpus/corpus.ts': { count: 1, why: 'the evaluation corpus (imk eval)' },
  'packages/separation/src/corpus/prng.ts': { count: 1, why: 'an invariant' },
  'packages/separation/src/dsp/median-network.ts': { count: 2, why: 'invariants of the DSP' },
  'packages/separation/src/dsp/sdr.ts': { count: 1, why: 'an invariant of the evaluation' },
  'packages/separation/src/dsp/sliding-median.ts': { count: 1, why: 'an invariant of the DSP' },
  'packages/separation/src/dsp/stft-window.ts': { count: 2, why: 'invariants of the DSP' },
  'packages/separation/src/dsp/wasm-strided-dots.ts': { count: 1, why: 'an invariant of the DSP' },
  'packages/separation/src/gm-corpus/corpus.ts': { count: 1, why: 'the evaluation corpus (imk eval)' },
  'packages/separation/src/mdx/model-session.ts': {
    count: 1,
    why: "the cause of an ImkError (the provider's)",
  },
  'packages/separation/src/mdx/ort-thread.ts': {
    count: 2,
    why: "ONNX Runtime's own error brought back from its thread; model-session.ts wraps it (MODEL_INVALID, ENGINE_UNAVAILABLE)",
  },
  'packages/sync/src/backends/local-worker.ts': {
    count: 1,
    why: 'a worker thread message; classified by code',
  },
  'packages/sync/src/backends/rsync.ts': { count: 1, why: 'classified by the backend into a sync error' },
  'packages/sync/src/backends/sftp-session.ts': {
    count: 2,
    why: 'classified by the backend into a sync error',
  },
  'packages/sync/src/util/error-wire.ts': { count: 1, why: "rebuilds a worker thread's errno error" },
  'packages/sync/src/util/free-port.ts': { count: 1, why: 'tests and the local ssh helper' },
  'packages/sync/src/util/known-hosts.ts': { count: 2, why: 'causes of a sync error naming the file' },
  'packages/sync/src/util/ssh-options.ts': { count: 1, why: 'an invariant of paths it quotes' },
  'services/instrumental-maker/src/bundle-files.ts': { count: 2, why: 'wraps a non-Error; an invariant' },
  'services/instrumental-maker/src/process-job.ts': {
    count: 1,
    why: 'an abort reason; a lost claim is told by isLost',
  },
  'services/inbox/src/staging.ts': {
    count: 1,
    why: "an inbox folder's write errno named with the folder (as write-error.ts), cause and code kept",
  },
  'services/instrumental-maker/src/stem-cache.ts': { count: 1, why: 'an invariant' },
  'services/instrumental-maker/src/worker.ts': { count: 1, why: 'an abort reason at shutdown' },
};

const PLAIN = /\bnew (?:Error|TypeError|RangeError)\(/g;

describe('errors a user meets carry a code of a catalogue', () => {
  it('no source makes a plain Error beyond the internal ones listed', async () => {
    const found: Record<string, number> = {};
    for (const file of await sourceFiles()) {
      // Comments may name `new Error(` to explain; only code counts.
      const text = (await readFile(file, 'utf8'))
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      const count = [...text.matchAll(PLAIN)].length;
      if (count > 0) found[relative(ROOT, file)] = count;
    }
    const over = Object.entries(found)
      .filter(([file, count]) => count > (KNOWN[file]?.count ?? 0))
      .map(([file, count]) => `${file}: ${count} plain Error(s), ${KNOWN[file]?.count ?? 0} known`);
    expect(over).toEqual([]);
  });
});
