import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { MigrateLine } from './migrate-plan.ts';

/** Whether a file or folder is there (anything but "not found" counts: it is there, unreadable or not). */
async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/**
 * Each converted line writing a path of this host (LegacyChange.hostPath) that does not exist here, said
 * with what to do: the earlier version's example .env gave the paths inside its container (`WORKING=/data/
 * working`), and run outside one, imk would create `/data/...` as root or fail as another user. The value is
 * written as it was (it may be a mount still to make); the line says so in the output (`notOnHost` in --json).
 * A relative path is the root's, as config/*.yaml reads it.
 */
export async function withHostPathNotes(lines: MigrateLine[], root: string): Promise<MigrateLine[]> {
  return Promise.all(
    lines.map(async (line) => {
      if (line.outcome !== 'converted') return line;
      const notes: string[] = [];
      const missing: string[] = [];
      for (const change of line.changes) {
        if (change.hostPath !== true || typeof change.value !== 'string' || change.value === '') continue;
        const path = isAbsolute(change.value) ? change.value : resolve(root, change.value);
        if (await exists(path)) continue;
        missing.push(change.value);
        notes.push(
          `${change.value} does not exist on this host: it was a path inside the earlier version's container. Make that folder here (or mount it there, running imk in a container), or set ${change.path.join('.')} in config/${change.file}.yaml to a folder on this host`,
        );
      }
      if (missing.length === 0) return line;
      return { ...line, notOnHost: missing, text: [line.text, ...notes].join('\n    ') };
    }),
  );
}
