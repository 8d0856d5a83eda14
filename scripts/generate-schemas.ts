// Writes docs/schemas/*.json, the field tables in docs/protocol.md and the builtin engine's parameter table in
// docs/separation.md from the zod schemas (the single source), and the defaults docs/*.md's prose states
// from their constants (DOC_VALUES). Run: npm run schemas. A test fails when any drifts.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DOCUMENT_SCHEMAS,
  documentJsonSchemaText,
  replaceDocValues,
  replaceFieldTables,
  type DocumentName,
} from '@imk/protocol';
import { DOC_VALUES } from '../packages/cli/src/doc-values.ts';
import { replaceBuiltinParamsTable } from '../packages/separation/src/builtin/params-table.ts';

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
const separationDoc = join(docs, 'separation.md');
const separation = await readFile(separationDoc, 'utf8');
const withTable = replaceBuiltinParamsTable(separation);
if (withTable !== separation) await writeFile(separationDoc, withTable);
console.log('updated the builtin parameter table in docs/separation.md');
for (const name of (await readdir(docs)).filter((file) => file.endsWith('.md'))) {
  const file = join(docs, name);
  const text = await readFile(file, 'utf8');
  const filled = replaceDocValues(text, DOC_VALUES);
  if (filled !== text) {
    await writeFile(file, filled);
    console.log(`updated the stated defaults in docs/${name}`);
  }
}
