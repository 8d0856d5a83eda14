// Writes docs/schemas/*.json and the field tables in docs/protocol.md from the zod schemas (the single
// source). Run: npm run schemas. A test fails when either drifts.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DOCUMENT_SCHEMAS,
  documentJsonSchemaText,
  replaceFieldTables,
  type DocumentName,
} from '@imk/protocol';

const docs = join(import.meta.dirname, '..', 'docs');
for (const name of Object.keys(DOCUMENT_SCHEMAS) as DocumentName[]) {
  await writeFile(join(docs, 'schemas', DOCUMENT_SCHEMAS[name].file), documentJsonSchemaText(name));
  console.log(`wrote docs/schemas/${DOCUMENT_SCHEMAS[name].file}`);
}
const protocolDoc = join(docs, 'protocol.md');
const before = await readFile(protocolDoc, 'utf8').catch(() => undefined);
if (before !== undefined) {
  const after = replaceFieldTables(before);
  if (after !== before) await writeFile(protocolDoc, after);
  console.log('updated the field tables in docs/protocol.md');
}
