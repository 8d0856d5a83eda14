// Writes docs/configuration.md from every service's config zod schema. Run: npm run docs:config
// (packages/cli/src/config-reference.test.ts fails when the committed file and the schemas disagree.)
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formattedConfigReference } from '../packages/cli/src/config-reference.ts';

const file = join(import.meta.dirname, '..', 'docs', 'configuration.md');
await writeFile(file, await formattedConfigReference(file));
console.log('wrote docs/configuration.md');
