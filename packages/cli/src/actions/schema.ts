import { DOCUMENT_SCHEMAS, documentJsonSchemaText, type DocumentName } from '@imk/protocol';
import { ImkError } from '@imk/errors';
import { print } from '../context.ts';
import '../errors.ts';

/** `imk schema <document>` */
export function schemaCommand(document: string): void {
  if (!(document in DOCUMENT_SCHEMAS))
    throw new ImkError(
      'UNKNOWN_DOCUMENT',
      `unknown document "${document}"; expected one of: ${Object.keys(DOCUMENT_SCHEMAS).join(', ')}`,
    );
  print(documentJsonSchemaText(document as DocumentName));
}
