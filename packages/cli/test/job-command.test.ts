import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '@imk/ledger';
import { formatBytes } from '@imk/log';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

/** A colour, a window title set by OSC and a bell; a line break, a carriage return and a cleared screen. */
const HOSTILE_ARTIST = '\u001b[31mRed\u001b]0;pwned\u0007';
const HOSTILE_TITLE = 'line1\nline2\r\u001b[2J';
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

describe('imk job <id>', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-job-'));
    const ledger = openLedger({ root });
    try {
      ledger.recordState('sizes_001', { state: 'succeeded' }, { artist: 'A', title: 'T' });
      // Tags as a producer's job.json may hold them: terminal escapes and line breaks.
      ledger.recordState('escapes_001', { state: 'ready' }, { artist: HOSTILE_ARTIST, title: HOSTILE_TITLE });
      ledger.recordArtifacts('sizes_001', [
        { path: 'files/audio/A - T.m4a', kind: 'audio', variant: 'instrumental', bytes: 5_767_168 },
        { path: 'files/stems/vocals.flac', kind: 'stems', variant: 'vocals', bytes: 812 },
      ]);
    } finally {
      ledger.close();
    }
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('shows artifact sizes in the same binary units as every other size imk prints', async () => {
    const r = await execa(process.execPath, [IMK, 'job', 'sizes_001', '--root', root], { reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`files/audio/A - T.m4a  (${formatBytes(5_767_168)})`);
    expect(formatBytes(5_767_168)).toBe('5.5 MiB');
    expect(r.stdout).toContain(`files/stems/vocals.flac  (${formatBytes(812)})`);
    expect(r.stdout).not.toMatch(/\d bytes\)/);
    // --json keeps the exact count for scripts
    const json = await execa(process.execPath, [IMK, 'job', 'sizes_001', '--root', root, '--json']);
    const detail = JSON.parse(json.stdout) as { artifacts: { bytes: number }[] };
    expect(detail.artifacts.map((a) => a.bytes).sort()).toEqual([5_767_168, 812].sort());
  }, 60_000);

  it('prints the tags of a job.json as text: no escape sequence reaches the terminal, one row per job', async () => {
    const detail = await execa(process.execPath, [IMK, 'job', 'escapes_001', '--root', root], {
      reject: false,
    });
    expect(detail.exitCode, detail.stderr).toBe(0);
    expect(detail.stdout).not.toMatch(TERMINAL_CONTROL);
    expect(detail.stdout).toContain(
      '  song:    \\u001b[31mRed\\u001b]0;pwned\\u0007 - line1\\nline2\\r\\u001b[2J\n',
    );
    const list = await execa(process.execPath, [IMK, 'jobs', '--root', root], { reject: false });
    expect(list.exitCode, list.stderr).toBe(0);
    expect(list.stdout).not.toMatch(TERMINAL_CONTROL);
    const rows = list.stdout.split('\n');
    expect(rows).toHaveLength(3); // the header, sizes_001, escapes_001
    expect(rows.find((row) => row.startsWith('escapes_001'))).toContain('\\u001b[31mRed');
  }, 60_000);
});
