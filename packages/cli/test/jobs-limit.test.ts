import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeLegacyLibrary } from '@imk/media/legacy-samples';
import { imkInProcess } from './in-process.ts';
import { imk, scratchFolder } from './migrate-kit.ts';

// A library the earlier version made is easily past `imk jobs`' 200 rows: a list cut by --limit says so,
// with the count and the command that lists them all, instead of looking complete.
const scratch = scratchFolder('imk-jobs-limit-');

describe('imk jobs over a big earlier library', () => {
  it('says when --limit cut the list, how many there are and how to list them all', async () => {
    const root = join(scratch.dir, 'library');
    await writeLegacyLibrary(join(root, 'outputs'), 7);
    const cut = await imkInProcess('jobs', '--root', root, '--limit', '3');
    expect(cut.exitCode).toBe(0);
    expect(cut.stdout.split('\n').filter((l) => l.startsWith('pyout_song_'))).toHaveLength(3);
    expect(cut.stdout).toContain('the newest 3 of 7 jobs; imk jobs --limit 7 lists them all');

    const byState = await imkInProcess('jobs', '--root', root, '--status', 'succeeded', '--limit', '2');
    expect(byState.stdout).toContain(
      'the newest 2 of 7 succeeded jobs; imk jobs --status succeeded --limit 7 lists them all',
    );

    const all = await imkInProcess('jobs', '--root', root, '--limit', '7');
    expect(all.stdout.split('\n').filter((l) => l.startsWith('pyout_song_'))).toHaveLength(7);
    expect(all.stdout).not.toContain('the newest');

    // --json stays the list alone on stdout; the note goes to stderr.
    const json = await imk(['jobs', '--root', root, '--limit', '4', '--json']);
    expect(json.exitCode, String(json.all)).toBe(0);
    expect((JSON.parse(String(json.stdout)) as unknown[]).length).toBe(4);
    expect(String(json.stderr)).toContain('the newest 4 of 7 jobs');
  }, 60_000);
});
