import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

export function createDownloadArchive(dir: string): DownloadArchive {
  const file = (kind: string) => join(dir, `download-archive-${kind}.txt`);
  const line = (extractor: string, id: string) => `${extractor.toLowerCase()} ${id}`;
  return {
    file,
    async has(kind, extractor, id) {
      let text: string;
      try {
        text = await readFile(file(kind), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw error;
      }
      const wanted = line(extractor, id);
      return text.split(/\r?\n/).some((entry) => entry.trim() === wanted);
    },
    async add(kind, extractor, id) {
      await mkdir(dirname(file(kind)), { recursive: true });
      await appendFile(file(kind), `${line(extractor, id)}\n`);
    },
  };
}
