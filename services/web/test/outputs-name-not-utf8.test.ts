// An outputs folder whose name is not UTF-8 ("Café" from an old Windows share, in Windows-1252) was passed
// over by the dashboard without a word: readdir lists it as "Caf\uFFFD", which opens nothing. The overview's
// problems now name it readably; /readyz does not fail on it (the system runs; one folder is not read).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRootServedLater } from './helpers.ts';

const late = tempRootServedLater();

describe('an outputs folder whose name is not UTF-8', () => {
  it('is named on the dashboard (/api/status problems), readably, as is one with a line break; /readyz stays ready', async () => {
    const { root } = late;
    const odd = Buffer.concat([
      Buffer.from(`${join(root, 'outputs')}/`),
      Buffer.from('Caf\xe9 Song', 'latin1'),
    ]);
    await mkdir(odd, { recursive: true });
    await writeFile(Buffer.concat([odd, Buffer.from('/manifest.json')]), '{}');
    // A file of that kind is no job folder: not said.
    await writeFile(
      Buffer.concat([Buffer.from(`${join(root, 'outputs')}/`), Buffer.from('x\xff', 'latin1')]),
      '',
    );
    // A UTF-8 name with a line break (a script's title with its newline kept): not listed either, and said.
    await mkdir(join(root, 'outputs', 'Line\nBreak'));
    await writeFile(join(root, 'outputs', 'Line\nBreak', 'manifest.json'), '{}');
    const web = await late.serve();

    const status = (await (await fetch(`${web.url}/api/status`)).json()) as {
      problems: { name: string; detail: string }[];
    };
    const said = status.problems.filter((p) => p.name === 'outputs').map((p) => p.detail);
    expect(said).toHaveLength(2);
    expect(said).toContainEqual(
      expect.stringMatching(
        /^outputs\/Caf\\xE9 Song\/ is not listed, recorded nor synced: its name is not UTF-8 .*"Café Song"/,
      ),
    );
    expect(said).toContainEqual(
      expect.stringMatching(
        /^outputs\/Line\\x0ABreak\/ is not listed, recorded nor synced: its name holds a control character/,
      ),
    );
    expect((await fetch(`${web.url}/readyz`)).status).toBe(200);
  });
});
