import { mkdir, open, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { isNoRoomError, readUntrustedJson, writeError } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { PRODUCER_FILE } from './names.ts';
import './errors.ts';

/** The `.tmp` folders this process is writing now. */
export const writing = new Set<string>();

/**
 * Makes `job_<id>.tmp/` (the caller writes PRODUCER_FILE into it at once). One left by a producer of this host that is no longer
 * running (killed mid-publish, the machine or container restarted) is removed and made again: refusing it
 * (as before) refused that job id until the sweeper removed the folder a day later: a song dropped into
 * the inbox waited unprocessed and a YouTube video failed on every try.
 */
export async function startTmp(tmp: string, jobId: string, logger: Logger | undefined): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(tmp);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await readProducer(tmp);
      if (attempt === 0 && owner !== undefined && isAbandoned(tmp, owner)) {
        logger?.warn(
          { job_id: jobId, dir: tmp, pid: owner.pid },
          'removing a bundle its producer left unfinished (that process is gone)',
        );
        await rm(tmp, { recursive: true, force: true });
        continue;
      }
      const who = owner === undefined ? '' : ` by process ${owner.pid} on ${owner.host}`;
      throw new ImkError(
        'JOB_IN_PROGRESS',
        `job ${jobId} is already being published${who} in ${tmp}; wait for that producer, or remove the folder if no producer is writing it`,
        { cause: error, details: { job_id: jobId, dir: tmp } },
      );
    }
  }
}

/** Largest producer file read (a host name and a pid). */
const PRODUCER_FILE_MAX_BYTES = 4096;

async function readProducer(tmp: string): Promise<{ host: string; pid: number } | undefined> {
  try {
    const json = (await readUntrustedJson(join(tmp, PRODUCER_FILE), {
      maxBytes: PRODUCER_FILE_MAX_BYTES,
    })) as {
      host?: unknown;
      pid?: unknown;
    } | null;
    if (typeof json?.host === 'string' && Number.isInteger(json.pid))
      return { host: json.host, pid: json.pid as number };
  } catch {
    // No marker (an older producer, a shell script, a folder being made this instant): not ours to judge.
  }
  return undefined;
}

/** Only a folder of this host can be judged: its process is gone (or is this one, not writing it now). */
function isAbandoned(tmp: string, owner: { host: string; pid: number }): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return !writing.has(tmp);
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Writes a new file (never one already there) and syncs its data. A write that fails names the file and says
 * why in the user's words (writeError): Node's own said only "ENOSPC: no space left on device, write", and
 * `imk enqueue` on a full disk printed just that.
 */
export async function writeSynced(path: string, data: string | Uint8Array): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    // EEXIST and a missing folder stay as they are: callers read their codes.
    throw isNoRoomError(error) ? writeError(path, error) : error;
  }
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    throw writeError(path, error);
  } finally {
    await handle.close();
  }
}
