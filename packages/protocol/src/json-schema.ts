import { JobSchema } from './job.ts';
import { LegacyManifestSchema, ManifestSchema } from './manifest.ts';
import { jsonSchemaOf } from './schema-table.ts';

export const DOCUMENT_SCHEMAS = {
  job: { schema: JobSchema, file: 'job.schema.json', title: 'instrumental-maker job.json' },
  manifest: {
    schema: ManifestSchema,
    file: 'manifest.schema.json',
    title: 'instrumental-maker manifest.json (v1)',
  },
  'manifest-legacy': {
    schema: LegacyManifestSchema,
    file: 'manifest-legacy.schema.json',
    title: 'manifest.json of the earlier Python instrumental-maker (read only)',
  },
} as const;
export type DocumentName = keyof typeof DOCUMENT_SCHEMAS;

/** JSON Schema (draft 2020-12) generated from the zod schema, which stays the single source. */
export function documentJsonSchema(name: DocumentName): Record<string, unknown> {
  const { schema, title } = DOCUMENT_SCHEMAS[name];
  // The input side: what a producer may write (defaults and transforms not yet applied).
  return { ...jsonSchemaOf(schema), title };
}

export function documentJsonSchemaText(name: DocumentName): string {
  return `${JSON.stringify(documentJsonSchema(name), null, 2)}\n`;
}
