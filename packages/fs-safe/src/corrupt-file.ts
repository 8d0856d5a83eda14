import { renameSync } from 'node:fs';
import { errorMessage, isAbsentErrno } from '@imk/errors';

/** SQLite's word for a file that is not (or no longer) a database. */
export function isCorruptDatabase(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === 'SQLITE_NOTADB' ||
    code === 'SQLITE_CORRUPT' ||
    /file is not a database|database disk image is malformed/i.test(errorMessage(error))
  );
}

/** `<file>.corrupt-<time>`: where a corrupt database is kept for inspection. */
export function corruptName(file: string, now = new Date()): string {
  return `${file}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
}

/**
 * Moves a corrupt SQLite file aside (with its -wal and -shm files), so that a new one can be made in its
 * place; nothing is deleted. Returns where the database file went.
 */
export function moveCorruptAside(file: string): string {
  const target = corruptName(file);
  renameSync(file, target);
  for (const suffix of ['-wal', '-shm']) {
    try {
      renameSync(`${file}${suffix}`, `${target}${suffix}`);
    } catch (error) {
      if (!isAbsentErrno(error)) throw error;
    }
  }
  return target;
}
