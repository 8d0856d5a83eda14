// A manifest's processed_at without a zone (the earlier version's isoformat()) is UTC, as the library reads
// it (processedAtMs): the list and the ledger date it so. The job page showed it only as the manifest's text,
// which a reader in another zone takes for their own time. The page now says when the job finished from the
// API's `output.processed_at` (the one reader's UTC instant), in the browser's zone. Real headless Chromium
// against `imk up`, both in Asia/Tokyo (9 hours ahead of UTC).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startImkUpPage, type ImkUpPage } from './imk-up-page.ts';

const LEGACY = '/work/shared/legacy-samples/outputs/pyout_inst_003';
const NAIVE = '2025-03-01T10:00:00.5';
const UTC = '2025-03-01T10:00:00.500Z';

let root: string;
let browser: ImkUpPage;
const savedTz = process.env.TZ;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-processed-at-'));
  const dir = join(root, 'outputs', 'naive_song');
  await cp(LEGACY, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  await writeFile(
    join(dir, 'manifest.json'),
    JSON.stringify({ ...manifest, job_id: 'naive_song', processed_at: NAIVE }),
  );
  // imk up and Chromium inherit the zone.
  process.env.TZ = 'Asia/Tokyo';
  browser = await startImkUpPage(root, 'web', 'imk-up-processed-at.log');
}, 120_000);

afterAll(async () => {
  process.env.TZ = savedTz;
  await browser?.close();
  await rm(root, { recursive: true, force: true });
});

describe('when a job finished, on its page, for a manifest time without a zone', () => {
  it('is the UTC instant the library reads, shown in the browser zone', async () => {
    const { page, url, pageErrors } = browser;
    await page.goto(`${url}/#/job/naive_song`);
    const meta = page.locator('#job-meta');
    await expect.poll(() => meta.textContent(), { timeout: 30_000 }).toContain('finished ');
    const [shown, misread] = await page.evaluate(
      ([utc, naive]) => [new Date(utc!).toLocaleString(), new Date(naive!).toLocaleString()],
      [UTC, NAIVE],
    );
    // The browser is in Tokyo: the text read by its own clock would be 9 hours off.
    expect(shown).not.toBe(misread);
    expect(await meta.textContent()).toContain(`finished ${shown}`);
    // The API gives the same instant, in UTC; the manifest itself as stored.
    const detail = (await page.evaluate(async () => (await fetch('/api/jobs/naive_song')).json())) as {
      output: { processed_at?: string; manifest: { processed_at?: string } };
    };
    expect(detail.output.processed_at).toBe(UTC);
    expect(detail.output.manifest.processed_at).toBe(NAIVE);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
