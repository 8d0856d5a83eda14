import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '@imk/fs-safe';
import { imk, scratchFolder } from './migrate-kit.ts';

// `imk migrate` merges into the user's own config/*.yaml, and parsed it without the depth check config and
// sidecars get (yamlDepth): a deeply nested file (`- - - …`, `[[[…`) overflowed the YAML parser's stack and
// was reported as "is not valid YAML (Maximum call stack size exceeded …)", a few of which in one process can
// end it. It is refused before parsing now, naming the file, and left as it was.
const scratch = scratchFolder('imk-migrate-deep-yaml-');

describe('imk migrate into a config file nested too deep', () => {
  it.each([
    ['block sequences', `mode:\n  ${'- '.repeat(30_000)}x\n`],
    ['flow sequences', `mode: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
  ])(
    '%s: refused before parsing, naming the file; the file is left as it was',
    async (kind, text) => {
      const dir = join(scratch.dir, kind.replace(/ /g, '-'));
      await mkdir(join(dir, 'config'), { recursive: true });
      const file = join(dir, 'config', 'youtube-retriever.yaml');
      await writeFile(file, text);
      await writeFile(join(dir, 'old.env'), 'YTDL_MODE=audio\n');
      const run = await imk(['migrate', '--env', join(dir, 'old.env'), '--root', dir]);
      expect(run.exitCode).toBe(1);
      expect(String(run.all)).toContain(
        `imk: ${file} nests more than ${MAX_JSON_DEPTH} levels deep; fix it first [CONFIG_INVALID]`,
      );
      expect(String(run.all)).not.toContain('call stack');
      expect(await readFile(file, 'utf8')).toBe(text);
    },
    60_000,
  );
});
