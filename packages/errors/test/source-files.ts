import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, for the rule tests that read its source. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every TypeScript source file under packages/<p>/src and services/<s>/src, tests left out. */
export async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const group of ['packages', 'services'])
    for (const entry of await readdir(join(ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const src = join(ROOT, group, entry.name, 'src');
      for (const file of await readdir(src, { withFileTypes: true, recursive: true }).catch(() => []))
        if (file.isFile() && file.name.endsWith('.ts') && !file.name.endsWith('.test.ts'))
          files.push(join(file.parentPath, file.name));
    }
  return files;
}
