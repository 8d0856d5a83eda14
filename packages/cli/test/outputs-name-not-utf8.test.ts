import { copyFile, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imkInProcess } from './in-process.ts';
import { imk, migratedLegacyOutput, scratchFolder } from './migrate-kit.ts';

// An outputs folder whose name is not UTF-8 (copied from an old Windows share: "Café" in Windows-1252) is
// listed by readdir as "Caf\uFFFD", a name that opens nothing: `imk jobs`, the ledger rebuild, the dashboard
// and nas-sync passed it over without a word. Outputs are published, so it is not renamed: every reader says
// it, naming the folder readably (its odd bytes as \xE9, and what they read as in Windows-1252).
const scratch = scratchFolder('imk-outputs-not-utf8-');
const NAME = Buffer.from([0x43, 0x61, 0x66, 0xe9, 0x20, 0x53, 0x6f, 0x6e, 0x67]); // "Caf\xE9 Song"
const SAID =
  /outputs\/Caf\\xE9 Song\/ is not listed, recorded nor synced: its name is not UTF-8 .*"Café Song"/;

describe('an outputs folder whose name is not UTF-8', () => {
  it('is named by imk jobs, the ledger rebuild and the sync pass, and left as it is', async () => {
    const { dir, out } = await migratedLegacyOutput(scratch.dir);
    const odd = Buffer.concat([Buffer.from(`${join(dir, 'outputs')}/`), NAME]);
    // fs.cp takes no path in bytes: copy the output into the folder of that name file by file.
    const copy = async (from: string, to: Buffer): Promise<void> => {
      await mkdir(to);
      for (const entry of await readdir(from, { withFileTypes: true })) {
        const target = Buffer.concat([to, Buffer.from(`/${entry.name}`)]);
        if (entry.isDirectory()) await copy(join(from, entry.name), target);
        else await copyFile(join(from, entry.name), target);
      }
    };
    await copy(out, odd);

    const jobs = await imk(['jobs', '--root', dir]);
    expect(jobs.exitCode, String(jobs.all)).toBe(0);
    expect(String(jobs.stdout)).toContain('pyout_audio_001');
    expect(String(jobs.stderr)).toMatch(SAID);
    // --json stays one JSON document on stdout; the folder is said on stderr.
    const json = await imkInProcess('jobs', '--root', dir, '--json');
    expect(JSON.parse(json.stdout)).toHaveLength(1);

    const rebuild = await imk(['ledger', 'rebuild', '--root', dir]);
    expect(rebuild.exitCode, String(rebuild.all)).toBe(0);
    expect(String(rebuild.all)).toMatch(SAID);

    const once = await imk(['sync', '--once', '--root', dir]);
    expect(once.exitCode, String(once.all)).toBe(0);
    expect(String(once.stdout)).toMatch(/, 1 output folder not read \(a name that is not UTF-8/);
    // And in the log (JSON lines on stderr), once.
    const logged = String(once.stderr)
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => (JSON.parse(line) as { msg?: string }).msg ?? '');
    expect(logged.filter((msg) => SAID.test(msg))).toHaveLength(1);

    // Not renamed: its published path stays.
    expect(await readFile(Buffer.concat([odd, Buffer.from('/manifest.json')]), 'utf8')).toContain('job_id');
  }, 120_000);
});
