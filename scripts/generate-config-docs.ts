// Writes docs/configuration.md from every service's config zod schema, and the config defaults that
// README.md and docs/*.md state through `config-default(s)` markers. Run: npm run docs:config
// (packages/cli/src/config-reference.test.ts and packages/cli/test/config-defaults-doc.test.ts fail when a
// committed page and the schemas disagree.)
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { formattedConfigReference } from '../packages/cli/src/config-reference.ts';
import { documentedSchemas, replaceConfigDefaults } from '../packages/cli/src/config-defaults-doc.ts';

const repo = join(import.meta.dirname, '..');
const file = join(repo, 'docs', 'configuration.md');
await writeFile(file, await formattedConfigReference(file));
console.log('wrote docs/configuration.md');

const files = await documentedSchemas();
const pages = [
  'README.md',
  ...(await readdir(join(repo, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => join('docs', n)),
];
for (const page of pages) {
  const path = join(repo, page);
  const text = await readFile(path, 'utf8');
  const filled = replaceConfigDefaults(text, files);
  if (filled === text) continue;
  // A cell written anew leaves its table's columns out of line: Prettier lines them up again.
  await writeFile(path, await format(filled, { ...(await resolveConfig(path)), filepath: path }));
  console.log(`updated the config defaults ${page} states`);
}
