import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imk, scratchFolder } from './migrate-kit.ts';

// No shell reads the settings, so a leading `~` is no home folder: `outputs: ~/imk-outputs` in
// config/paths.yaml was `<root>/~/imk-outputs`, made there by `imk up` without a word (the user's songs in a
// folder named "~" under the root), and so were a retriever's requestsDir, the inbox's dir, the stem cache's
// folder, and every file a setting names (cookies, the ARL, the dashboard's token): a file "not found" at a
// path the user never wrote. Each is refused now, naming the file and the field, and saying what to write.
const scratch = scratchFolder('imk-home-tilde-');

describe('a folder setting that starts with ~', () => {
  it.each([
    ['paths', 'outputs: ~/imk-outputs\n', 'outputs', '~/imk-outputs'],
    ['youtube-retriever', 'requestsDir: ~/requests\n', 'requestsDir', '~/requests'],
    ['inbox', 'dir: ~/Downloads/imk\n', 'dir', '~/Downloads'],
    ['instrumental-maker', 'stemCache:\n  dir: ~/stems\n', 'stemCache.dir', '~/stems'],
    ['youtube-retriever', 'cookiesFile: ~/cookies.txt\n', 'cookiesFile', '~/cookies.txt'],
    ['deemix-retriever', 'arlFile: ~/.config/deemix/arl\n', 'arlFile', '~/.config'],
    ['web', 'tokenFile: ~/imk-token\n', 'tokenFile', '~/imk-token'],
  ])(
    'config/%s.yaml: refused naming the field and the full path to write',
    async (file, text, field, said) => {
      const dir = join(scratch.dir, file);
      await mkdir(join(dir, 'config'), { recursive: true });
      await writeFile(join(dir, 'config', `${file}.yaml`), text);
      const service = file === 'paths' ? 'inbox' : file;
      const run = await imk(['run', service, '--root', dir], {}, 30_000);
      expect(run.exitCode, String(run.all)).not.toBe(0);
      expect(String(run.all)).toContain(join(dir, 'config', `${file}.yaml`));
      const expected = `${field}: a leading "~" is not expanded to a home folder: no shell reads the settings; write the full path: "${homedir()}${said.slice(1)}", not "${said}"`;
      // As printed, or in a JSON log line (its quotes escaped).
      const all = String(run.all);
      expect(all.includes(expected) || all.includes(JSON.stringify(expected).slice(1, -1)), all).toBe(true);
      expect(await readdir(dir)).not.toContain('~');
    },
    60_000,
  );
});
