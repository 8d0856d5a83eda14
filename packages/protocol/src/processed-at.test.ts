import { cp, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findOutput, outputFinishedAt, readOutputManifest } from './index.ts';

// The earlier version wrote processed_at with Python's isoformat(): without a zone when its time was naive.
// Date.parse reads such a time as this host's local time, so `imk jobs` and the ledger dated one library
// differently on a host in Tokyo and one in UTC. It is UTC (docs/migration.md says why), on every host.
const LEGACY = '/work/shared/legacy-samples/outputs/pyout_inst_003';
const savedTz = process.env.TZ;
let root: string | undefined;
afterEach(async () => {
  process.env.TZ = savedTz;
  if (root) await rm(root, { recursive: true, force: true });
});

async function legacyOutput(processedAt: unknown): Promise<string> {
  root = await mkdtemp(join(tmpdir(), 'imk-processed-at-'));
  const dir = join(root, 'job');
  await cp(LEGACY, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ ...manifest, processed_at: processedAt }));
  // A copy's mtime, years after the job ran: only a fallback.
  const copied = new Date('2026-06-01T00:00:00Z');
  await utimes(join(dir, 'manifest.json'), copied, copied);
  return root;
}

async function finishedAt(outputs: string): Promise<string> {
  const folder = await findOutput(outputs, 'job');
  const read = await readOutputManifest(folder!.dir);
  if (!read?.ok) throw new Error('the legacy manifest did not read');
  return outputFinishedAt(read.manifest, folder!);
}

describe("a manifest's processed_at", () => {
  for (const tz of ['Asia/Tokyo', 'America/Los_Angeles', 'UTC'])
    it(`without a zone is read as UTC on a host in ${tz}`, async () => {
      process.env.TZ = tz;
      const outputs = await legacyOutput('2025-03-01T10:00:00.123456');
      expect(await finishedAt(outputs)).toBe('2025-03-01T10:00:00.123Z');
    });

  it('with a zone names that instant; in any other form it is no time, and the mtime is used', async () => {
    process.env.TZ = 'Asia/Tokyo';
    const cases: [unknown, string][] = [
      ['2025-03-01T10:00:00.973618Z', '2025-03-01T10:00:00.973Z'],
      ['2025-03-01T12:00:00+02:00', '2025-03-01T10:00:00.000Z'],
      ['2025-03-01T12:00:00+0200', '2025-03-01T10:00:00.000Z'],
      ['2025-03-01 10:00:00', '2025-03-01T10:00:00.000Z'],
      ['2025-03-01', '2025-03-01T00:00:00.000Z'],
      ['March 1, 2025 10:00', '2026-06-01T00:00:00.000Z'],
      ['2025-13-45T99:00:00', '2026-06-01T00:00:00.000Z'],
      [12345, '2026-06-01T00:00:00.000Z'],
    ];
    for (const [processedAt, expected] of cases) {
      const outputs = await legacyOutput(processedAt);
      expect(await finishedAt(outputs), String(processedAt)).toBe(expected);
      await rm(outputs, { recursive: true, force: true });
    }
  });
});
