import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { appendUntrustedFile, readUntrustedTextIfThere } from '@imk/fs-safe';
import type { FetchMode } from '@imk/retriever-sdk';

/**
 * What was already fetched, one file per kind of job (`download-archive-audio.txt`, `…-video.txt`) in
 * yt-dlp's own archive format (`<extractor> <id>` per line), so a file can be shared with or seeded from
 * `yt-dlp --download-archive`. An entry is added only after its bundle was published, so a failed fetch is
 * tried again next time.
 */
export interface DownloadArchive {
  file(kind: Exclude<FetchMode, 'both'>): string;
  has(kind: Exclude<FetchMode, 'both'>, extractor: string, id: string): Promise<boolean>;
  add(kind: Exclude<FetchMode, 'both'>, extractor: string, id: string): Promise<void>;
}

/** Largest download archive read: a line per song fetched (~30 bytes), a million songs and more. */
const ARCHIVE_MAX_BYTES = 64 * 1024 * 1024;

export function createDownloadArchive(dir: string): DownloadArchive {
  const file = (kind: string) => join(dir, `download-archive-${kind}.txt`);
  const line = (extractor: string, id: string) => `${extractor.toLowerCase()} ${id}`;
  return {
    file,
    async has(kind, extractor, id) {
      // Through fs-safe: a FIFO, a link or a huge file in its place is refused, naming it, never waited on.
      const text = await readUntrustedTextIfThere(file(kind), { maxBytes: ARCHIVE_MAX_BYTES });
      if (text === undefined) return false;
      const wanted = line(extractor, id);
      return text.split(/\r?\n/).some((entry) => entry.trim() === wanted);
    },
    async add(kind, extractor, id) {
      await mkdir(dirname(file(kind)), { recursive: true });
      await appendUntrustedFile(file(kind), `${line(extractor, id)}\n`);
    },
  };
}
