import { ImkError } from '@imk/errors';
import type { BundleFileInput } from './publish.ts';
import './errors.ts';

/** A file's entry in the bundle's files[]: what was hashed of the copy. */
export type FileEntry = { path: string; sha256: string; bytes: number };

/**
 * The copy's entry, when it is what the source was declared to be (BundleFileInput `declared`): a source
 * damaged or replaced since it was declared is refused here, naming both hashes, not published as the file.
 */
export function checkDeclared(file: BundleFileInput, copied: FileEntry): FileEntry {
  const declared = 'source' in file ? file.declared : undefined;
  if (declared === undefined) return copied;
  const sizeDiffers = declared.bytes !== undefined && declared.bytes !== copied.bytes;
  if (!sizeDiffers && declared.sha256 === copied.sha256) return copied;
  const source = 'source' in file ? file.source : file.name;
  throw new ImkError(
    'SOURCE_CHANGED',
    `${source} (bundle file ${file.name}) has sha256 ${copied.sha256} (${copied.bytes} bytes), not the sha256 ${declared.sha256}${declared.bytes === undefined ? '' : ` (${declared.bytes} bytes)`} it was declared with: it was damaged or replaced since; nothing was published`,
    {
      details: {
        file: file.name,
        source,
        declared_sha256: declared.sha256,
        actual_sha256: copied.sha256,
        ...(declared.bytes !== undefined && { declared_bytes: declared.bytes }),
        actual_bytes: copied.bytes,
      },
    },
  );
}
