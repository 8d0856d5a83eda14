import type { Command } from 'commander';
import { DOCUMENT_SCHEMAS, documentJsonSchemaText, type DocumentName } from '@imk/protocol';
import { ImkError } from '@imk/errors';
import { print, withRoot } from '../context.ts';

export function registerSchema(program: Command): void {
  withRoot(
    program
      .command('schema')
      .argument('<document>', `job, manifest or manifest-legacy`)
      .description('print the JSON Schema of job.json or manifest.json'),
  ).action((document: string) => {
    if (!(document in DOCUMENT_SCHEMAS))
      throw new ImkError(
        'UNKNOWN_DOCUMENT',
        `unknown document "${document}"; expected one of: ${Object.keys(DOCUMENT_SCHEMAS).join(', ')}`,
      );
    print(documentJsonSchemaText(document as DocumentName));
  });
}
