import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { imkInProcess } from './in-process.ts';
import { scratchFolder } from './migrate-kit.ts';

// docs/migration.md shows what `imk migrate` writes from the earlier version's variables: each block headed
// `# config/<file>.yaml, from A=1 and B=2` is run as written (those variables in a .env, imk migrate) and the
// file it writes must say what the block says (values; comments are the reader's). readme-examples.test.ts
// only checks that a block is valid; a block that needs a variable its header leaves out is caught here.
const PAGE = join(import.meta.dirname, '..', '..', '..', 'docs', 'migration.md');
const scratch = scratchFolder('imk-migration-examples-');

async function examples(): Promise<{ file: string; env: string[]; yaml: string }[]> {
  const markdown = await readFile(PAGE, 'utf8');
  return [...markdown.matchAll(/```yaml\n# config\/([a-z-]+)\.yaml, from ([^\n]+)\n([\s\S]*?)```/g)].map(
    (m) => ({
      file: m[1]!,
      env: m[2]!.split(/ and (?=[A-Z][A-Z0-9_]*=)/),
      yaml: m[3]!,
    }),
  );
}

describe('docs/migration.md: what imk migrate writes', () => {
  it('is what it writes from the variables each example names, run as written', async () => {
    const found = await examples();
    expect(found.map((e) => e.file).sort()).toEqual(['nas-sync', 'paths']);
    for (const [index, example] of found.entries()) {
      const dir = join(scratch.dir, `example-${index}`);
      const envFile = join(scratch.dir, `example-${index}.env`);
      await writeFile(envFile, `${example.env.join('\n')}\n`);
      const run = await imkInProcess('migrate', '--env', envFile, '--root', dir);
      expect(run.exitCode, run.stdout).toBe(0);
      const written = await readFile(join(dir, 'config', `${example.file}.yaml`), 'utf8');
      expect(parse(written), `${example.file}: ${example.env.join(' ')}\n${run.stdout}`).toEqual(
        parse(example.yaml),
      );
    }
  });
});
