import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openLedger } from '@imk/ledger';
import { formatBytes } from '@imk/log';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from './imk-bin.ts';

describe('imk job <id>', () => {
  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'imk-cli-job-'));
    const ledger = openLedger({ root });
    try {
      ledger.recordState('sizes_001', { state: 'succeeded' }, { artist: 'A', title: 'T' });
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
});
