import type { Stats } from 'node:fs';
import { mkdir, rm, type FileHandle } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { configFile } from '@imk/config';
import { errorMessage, isImkError, isInputFault, stopCame } from '@imk/errors';
import { capText, copyOpenedFile, openUntrusted, renameNamesNotUtf8 } from '@imk/fs-safe';
import type { Logger } from '@imk/log';
import { notWholeByBytes, notWholeByLength, probeMedia, tagsFor } from '@imk/media';
import { isSidecarName, sidecarCandidates } from '@imk/protocol';
import { createBundle, createStabilityTracker, extractCover, listFiles, makeJobId } from '@imk/retriever-sdk';
import { SERVICE_NAME, type InboxSettings } from './config.ts';
import { FOLDER_ADVICE, inboxFolders } from './folders.ts';
import type { FileIdentity } from './move-original.ts';
import { PROCESSED_DIR, REJECTED_DIR, placeFile } from './place-file.ts';
import { createNotWholeFiles, cutShortAdvice } from './not-whole.ts';
import { sidecarOf } from './sidecar.ts';
import { makeStaging, sweepStaging } from './staging.ts';
import { createInboxTroubles } from './troubles.ts';
import { LEFT_FOR_NEXT_START, takeStopped } from './stopped.ts';
import { IN_PROGRESS, VIDEO_CONTAINERS, readablePart } from './names.ts';

export interface InboxOutcome {
  name: string;
  /** `waiting`: not whole yet (empty, short of what it declares of itself), left in the inbox for the rest of the copy. */
  outcome: 'queued' | 'duplicate' | 'rejected' | 'waiting';
  jobId?: string;
  /**
   * Where the original went; undefined when it is no longer in the inbox (another file was saved over its
   * name while it was taken: that file stays, for a later look).
   */
  movedTo?: string;
  reason?: string;
}

export interface Inbox {
  /** One look at the folder: every file stable since the last look is queued or rejected. */
  scan(signal?: AbortSignal): Promise<InboxOutcome[]>;
}

/**
 * The drop folder: a file that stopped changing is wrapped into a bundle (tags from the file, else
 * "Artist - Title" from its name) and the original moved to `.processed/`; a file that is not media goes
 * to `.rejected/` with `<name>.reason.txt` beside it. Nothing is deleted.
 */
export function createInbox(settings: InboxSettings, parentLogger: Logger): Inbox {
  const logger = parentLogger.child({ component: SERVICE_NAME });
  // The looks must be pollIntervalMs apart, as configured: the folder watcher starts passes early (any
  // change in the folder does), and two of them between two writes of a slow copy saw the same size.
  const tracker = createStabilityTracker(settings.stableChecks, {
    minQuietMs: (settings.stableChecks - 1) * settings.pollIntervalMs,
  });
  const accepted = new Set(settings.extensions.map((ext) => `.${ext.toLowerCase()}`));
  // Folders already told about, so that one left there is said once, not at every look.
  const toldFolders = new Set<string>();
  const notWhole = createNotWholeFiles(settings.incompleteWaitSec, logger);
  const troubles = createInboxTroubles(logger);

  async function tellFolders(): Promise<void> {
    const folders = await inboxFolders(settings.dir);
    for (const name of toldFolders) if (!folders.includes(name)) toldFolders.delete(name);
    for (const name of folders) {
      if (toldFolders.has(name)) continue;
      toldFolders.add(name);
      logger.warn(
        { folder: name },
        `folder "${name}" in the inbox is not read and stays as it is: ${FOLDER_ADVICE}`,
      );
    }
  }

  async function take(name: string, signal?: AbortSignal): Promise<InboxOutcome> {
    const file = join(settings.dir, name);
    const ext = extname(name).toLowerCase();
    if (!accepted.has(ext))
      return reject(
        name,
        `not a media file this inbox takes (${ext || 'no extension'}); accepted: ${[...accepted].join(' ')}${
          /^\.[a-z0-9]+$/.test(ext)
            ? `; if it is a song ffmpeg plays, add ${ext.slice(1)} to extensions in ${configFile(settings.root, SERVICE_NAME)} and drop it again`
            : ''
        }`,
      );
    // One open for every read of the song: fs-safe refuses a link (to a file outside the inbox), a FIFO or a
    // device, never following it; then ffprobe reads this descriptor, and the copy that is queued and hashed
    // for the job id is made from it too. Read by name three times (probe, hash, copy), a file replaced in
    // between (same name, other content) gave a job whose id, size and tags were of one file and whose audio
    // was another.
    let opened;
    try {
      opened = await openUntrusted(file, { name, within: settings.dir });
    } catch (error) {
      // Replaced at every try of the open (FILE_CHANGED) is no fault of the file: scan leaves it for a
      // later look.
      if (!isInputFault(error)) throw error;
      return reject(name, errorMessage(error));
    }
    try {
      // Private to this take (made 0700): the copy queued and the cover read from it. Made inside the try: an
      // inbox that cannot be written (read-only, full) left the song's descriptor open, one more each look.
      const scratch = await makeStaging(settings.dir);
      try {
        return await takeOpened(name, opened, scratch, signal);
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    } finally {
      await opened.handle.close();
    }
  }

  async function takeOpened(
    name: string,
    opened: { handle: FileHandle; stats: Stats },
    scratch: string,
    signal?: AbortSignal,
  ): Promise<InboxOutcome> {
    const file = join(settings.dir, name);
    const ext = extname(name).toLowerCase();
    // A copy that paused longer than the stability looks (a Finder copy that made the file, then waits for
    // its source) is not judged yet: rejected at once, it went on being written into .rejected/.
    if (opened.stats.size === 0)
      return notWholeYet(
        name,
        opened.stats,
        'is empty (0 bytes)',
        'the copy or download that made it failed: copy the file into the inbox again',
      );
    // Not whole by its own bytes (a WAV short of its header, an MP4 whose boxes run past its end or whose
    // index is not written yet, an Ogg file not ending on its last page): judged before ffprobe, which
    // refuses such an MP4 ("moov atom not found") and takes the others for whole, shorter songs.
    const cut = await notWholeByBytes(opened.handle);
    if (cut !== undefined) return notWholeYet(name, opened.stats, cut, cutShortAdvice(name, ext));
    let info;
    try {
      // Bounded: a file ffprobe would read for minutes (20 GB of zeros) is rejected, and the scan goes on.
      info = await probeMedia(file, {
        signal,
        timeoutMs: settings.probeTimeoutSec * 1000,
        handle: opened.handle,
      });
    } catch (error) {
      // Failed once the stop came (a tool that died by the Ctrl-C): no verdict on the file (stopped.ts).
      if (stopCame(signal, error)) throw takeStopped(name, error);
      return reject(name, errorMessage(error), opened.stats);
    }
    // Not whole by the length it states (FLAC's sample count, an MP3's Xing header, Matroska's or MP4's
    // duration) against where its audio ends: before, such a file was queued and only the worker warned.
    const short = await notWholeByLength(file, info, {
      signal,
      timeoutMs: settings.probeTimeoutSec * 1000,
      handle: opened.handle,
    }).catch((error: unknown) => {
      if (stopCame(signal, error)) throw takeStopped(name, error);
      return undefined;
    });
    if (stopCame(signal)) throw takeStopped(name);
    if (short !== undefined) return notWholeYet(name, opened.stats, short, cutShortAdvice(name, ext));
    notWhole.forget(name);
    const tags = tagsFor(file, info);
    const found = await sidecarOf(settings.dir, name);
    if (found?.problem !== undefined) {
      // The song's options are there but cannot be read (a FIFO, a link, a device): processed without them,
      // the song would come out other than asked. Both are set aside, each with the reason.
      await reject(found.path, found.problem);
      return reject(
        name,
        `its per-song options ${found.path} cannot be used (${found.problem}); the song is set aside with them, not processed without them: drop the song with its options as a regular file`,
        opened.stats,
      );
    }
    const sidecar = found?.path;
    // Copied from the descriptor probed, hashed as it is copied: the job id, the size and the bundle's
    // input are of one read. A song written to in place since it was opened (FILE_CHANGED) is thrown: scan
    // leaves it where it is and takes it again once it is stable.
    const staged = join(scratch, `song${ext}`);
    const copied = await copyOpenedFile(opened.handle, staged, { name, since: opened.stats });
    // Its options, read once as the song is: the copy queued is of the file later moved to .processed/,
    // and only that file is moved (one saved over their name meanwhile stays, as a song saved over its).
    let options: { staged: string; read: FileIdentity } | undefined;
    if (sidecar !== undefined) {
      let read;
      try {
        read = await openUntrusted(join(settings.dir, sidecar), { name: sidecar, within: settings.dir });
      } catch (error) {
        // Swapped for a link or a FIFO since they were looked at: as above, both are set aside.
        if (!isInputFault(error)) throw error;
        const problem = errorMessage(error);
        await reject(sidecar, problem);
        return reject(
          name,
          `its per-song options ${sidecar} cannot be used (${problem}); the song is set aside with them, not processed without them: drop the song with its options as a regular file`,
          opened.stats,
        );
      }
      try {
        options = { staged: join(scratch, 'options.yaml'), read: read.stats };
        await copyOpenedFile(read.handle, options.staged, { name: sidecar, since: read.stats });
      } finally {
        await read.handle.close();
      }
    }
    // Readable (the file name) and unique to the content (a hash): the same file dropped twice is one job.
    const jobId = makeJobId(
      'local',
      readablePart(name.slice(0, name.length - ext.length)),
      copied.sha256.slice(0, 12),
    );
    const isVideo = VIDEO_CONTAINERS.has(ext) && info.video !== undefined;
    try {
      const bundle = createBundle({
        queueDir: settings.queueDir,
        jobId,
        sourceType: 'local',
        producer: SERVICE_NAME,
        logger,
      })
        .setTags(tags)
        .set('local', { original_name: name, bytes: copied.bytes, tags_from: tags.from });
      const inputName = isVideo ? `video${ext}` : `audio${ext}`;
      // Our private copy, moved in (copied from a checked descriptor when the queue is on another mount).
      if (isVideo) bundle.addVideo(staged, { name: inputName, move: true });
      else bundle.addAudio(staged, { name: inputName, move: true });
      // Its per-song options (the earlier version's "My Song.stems.yml" beside "My Song.m4a") go with it,
      // under the name the worker looks for beside the bundle's input: our copy, read above.
      if (options !== undefined) bundle.addFile(`${inputName}.yaml`, options.staged, { move: true });
      if (info.has_cover) {
        const cover = await extractCover(staged, info, join(scratch, 'cover'), signal).catch(
          (error: unknown) => {
            // Stopped by the stop, the cover is not unreadable: the song is not queued without it.
            if (stopCame(signal, error)) throw takeStopped(name, error);
            logger.warn(
              { file: name, err: errorMessage(error).split(staged).join(file) },
              'embedded cover not readable; queued without it',
            );
            return undefined;
          },
        );
        if (cover) bundle.addCover(cover, { name: `cover${extname(cover)}`, move: true });
      }
      // The last point where the take can still leave no trace: once published, it goes to its end.
      if (stopCame(signal)) throw takeStopped(name);
      await bundle.publish();
    } catch (error) {
      if (!isImkError(error, 'JOB_EXISTS')) throw error;
      const movedTo = await placeFile(settings.dir, logger, name, PROCESSED_DIR, undefined, opened.stats);
      await moveOptions(sidecar, options?.read, movedTo);
      logger.info({ file: name, job_id: jobId }, 'same file already queued; original moved to .processed');
      replacedMeanwhile(name, movedTo);
      return { name, outcome: 'duplicate', jobId, movedTo };
    }
    // Only the file queued: one saved over its name since it was read is another song, taken at a later look.
    const movedTo = await placeFile(settings.dir, logger, name, PROCESSED_DIR, undefined, opened.stats);
    replacedMeanwhile(name, movedTo);
    await moveOptions(sidecar, options?.read, movedTo);
    logger.info(
      { file: name, job_id: jobId, artist: tags.artist, title: tags.title, ...(sidecar && { sidecar }) },
      'queued',
    );
    return { name, outcome: 'queued', jobId, movedTo };
  }

  /**
   * Moves a song's options (`sidecar`, the file read: `read`) to .processed/ after the song: only when the
   * song itself was moved (`songMovedTo`; a song saved over its name stays in the inbox, and keeps the options
   * beside it for its own take), and only the options file read (one saved over their name stays).
   */
  async function moveOptions(
    sidecar: string | undefined,
    read: FileIdentity | undefined,
    songMovedTo: string | undefined,
  ): Promise<void> {
    if (sidecar === undefined || read === undefined || songMovedTo === undefined) return;
    const movedTo = await placeFile(settings.dir, logger, sidecar, PROCESSED_DIR, undefined, read);
    if (movedTo === undefined)
      logger.info(
        { file: sidecar },
        `${sidecar} was replaced (or removed) while its song was taken; the options queued are those read, the file under that name now stays in the inbox`,
      );
  }

  /** A file not whole yet (`what` it is, after its name): left while it may still be copied, then set aside with `advice`. */
  async function notWholeYet(
    name: string,
    stats: Stats,
    what: string,
    advice: string,
  ): Promise<InboxOutcome> {
    if (notWhole.seen(name, stats, what) === 'wait') return { name, outcome: 'waiting', reason: what };
    return reject(
      name,
      `${what}, unchanged for ${settings.incompleteWaitSec} s (incompleteWaitSec): ${advice}`,
      stats,
    );
  }

  /** `original`: the file read (its descriptor's fstat), set aside only if the name still stands for it. */
  async function reject(name: string, reason: string, original?: FileIdentity): Promise<InboxOutcome> {
    const capped = capText(reason);
    const stamp = new Date().toISOString();
    const movedTo = await placeFile(
      settings.dir,
      logger,
      name,
      REJECTED_DIR,
      (placedAt) => {
        const kept = basename(placedAt) === name ? '' : ` (kept as ${basename(placedAt)})`;
        return `${name}${kept}: ${capped}\n(${stamp})\n`;
      },
      original,
    );
    logger.warn({ file: name, reason: capped, moved_to: movedTo }, 'rejected');
    replacedMeanwhile(name, movedTo);
    return { name, outcome: 'rejected', ...(movedTo !== undefined && { movedTo }), reason };
  }

  /** Says so when the file taken was no longer in the inbox to be moved: its name holds another file now. */
  function replacedMeanwhile(name: string, movedTo: string | undefined): void {
    if (movedTo === undefined)
      logger.info(
        { file: name },
        `${name} was replaced (or removed) while it was taken; the file under that name now stays in the inbox and is taken at a later look`,
      );
  }

  return {
    async scan(signal) {
      await mkdir(settings.dir, { recursive: true });
      await sweepStaging(settings.dir, logger);
      await tellFolders();
      await renameNamesNotUtf8(settings.dir, logger);
      const listed = await listFiles(settings.dir);
      notWhole.keepOnly(new Set(listed.map((file) => file.name)));
      const files = listed.filter((file) => !IN_PROGRESS.test(file.name));
      const outcomes: InboxOutcome[] = [];
      // A song still downloading ("My Song.m4a.part") keeps its options waiting too.
      const names = listed.map((file) => file.name.replace(IN_PROGRESS, ''));
      for (const file of tracker.update(files)) {
        if (signal?.aborted) break;
        tracker.forget(file.path);
        if (isSidecarName(file.name)) {
          // A song's options wait for their song, which takes them; alone, they are set aside with the reason.
          const song = names.find(
            (other) =>
              other !== file.name &&
              sidecarCandidates(other).some((name) => name.normalize('NFC') === file.name.normalize('NFC')),
          );
          if (song === undefined)
            outcomes.push(
              await reject(
                file.name,
                `per-song options with no song beside them (for "My Song.m4a": My Song.stems.yml, My Song.yaml or My Song.m4a.yaml); drop the song and its options together`,
              ),
            );
          continue;
        }
        try {
          const outcome = await take(file.name, signal);
          outcomes.push(outcome);
          // Only a file queued went all the way (its copy in the inbox, its bundle in the queue).
          if (outcome.outcome === 'queued' || outcome.outcome === 'duplicate') troubles.cleared();
        } catch (error) {
          // The stop came while it was taken: however the take ended, the file stays for the next start.
          if (stopCame(signal, error)) {
            logger.info({ file: file.name, err: errorMessage(error) }, LEFT_FOR_NEXT_START);
            break;
          }
          // A condition of the file itself (isInputFault): rejected with the reason, not retried.
          if (isInputFault(error)) {
            outcomes.push(await reject(file.name, errorMessage(error)));
            continue;
          }
          // Not the file's fault (disk full, queue unwritable): leave it in place and try again next pass,
          // said once, not at every look.
          troubles.met(file.name, error);
        }
      }
      return outcomes;
    },
  };
}
