// Writes docs/schemas/*.json from the zod schemas (the single source). Run: npm run schemas
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DOCUMENT_SCHEMAS, documentJsonSchemaText, type DocumentName } from '@imk/protocol';

const dir = join(import.meta.dirname, '..', 'docs', 'schemas');
for (const name of Object.keys(DOCUMENT_SCHEMAS) as DocumentName[]) {
  await writeFile(join(dir, DOCUMENT_SCHEMAS[name].file), documentJsonSchemaText(name));
  console.log(`wrote docs/schemas/${DOCUMENT_SCHEMAS[name].file}`);
}
