/**
 * Example custom retriever: publishes the songs of an M3U playlist (local files) as job bundles.
 *
 *   node --import tsx examples/custom-retriever/m3u-retriever.ts <playlist.m3u> [--root DIR]
 *   node --import tsx examples/custom-retriever/m3u-retriever.ts --watch <folder> [--root DIR]
 *
 * The first form publishes one bundle per playlist entry into queues/other and exits. The second keeps
 * running and handles every `.m3u` file dropped into <folder>: renamed `.done` when it worked, `.fail` with
 * a `.fail.reason` file beside it when it did not. Ctrl+C stops it.
 *
 * `#EXTINF:<seconds>,Artist - Title` lines give the tags. Everything the queue needs (job.json, sha256s,
 * the atomic `.tmp` -> ready rename) is done by the SDK.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ImkError, errorMessage, isImkError } from '@imk/errors';
import { createLogger, type Logger } from '@imk/log';
import { createBundle, createRequestFolder, makeJobId } from '@imk/retriever-sdk';

interface PlaylistEntry {
  file: string;
  artist?: string | undefined;
  title?: string | undefined;
}

/** Reads an M3U file: paths (relative to the playlist) with optional `#EXTINF` lines before them. */
export function parseM3u(text: string, playlistDir: string): PlaylistEntry[] {
  const entries: PlaylistEntry[] = [];
  let pending: Omit<PlaylistEntry, 'file'> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('#EXTINF:')) {
      const label = line.slice(line.indexOf(',') + 1).trim();
      const [artist, ...rest] = label.split(' - ');
      pending =
        rest.length > 0 ? { artist: artist?.trim(), title: rest.join(' - ').trim() } : { title: label };
    } else if (line !== '' && !line.startsWith('#')) {
      entries.push({ file: isAbsolute(line) ? line : resolve(playlistDir, line), ...pending });
      pending = {};
    }
  }
  return entries;
}

/** Publishes one bundle per entry; returns the ids published and the entries skipped (already queued). */
export async function publishPlaylist(playlist: string, root: string, logger: Logger) {
  const entries = parseM3u(await readFile(playlist, 'utf8'), dirname(playlist));
  const published: string[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const info = await stat(entry.file).catch(() => undefined);
    if (!info?.isFile())
      throw new ImkError(
        'ENTRY_MISSING',
        `${playlist} names ${entry.file}, which is not a file; fix the playlist`,
      );
    // Same file, same size -> same id: running the playlist twice does not queue songs twice.
    const jobId = makeJobId('m3u', basename(entry.file, extname(entry.file)), String(info.size));
    const bundle = createBundle({
      root,
      queue: 'other',
      jobId,
      sourceType: 'custom',
      producer: 'm3u-retriever',
      logger,
    })
      .setTags({
        artist: entry.artist ?? 'Unknown Artist',
        album: basename(playlist, extname(playlist)),
        title: entry.title ?? basename(entry.file, extname(entry.file)),
      })
      .addAudio(entry.file)
      .set('m3u', { playlist: basename(playlist) });
    try {
      await bundle.publish();
      published.push(jobId);
    } catch (error) {
      if (!isImkError(error, 'JOB_EXISTS')) throw error;
      skipped.push(jobId);
    }
  }
  return { published, skipped };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { root: { type: 'string' }, watch: { type: 'string' } },
  });
  const root = resolve(values.root ?? process.env.IMK_ROOT ?? '.');
  const logger = createLogger('m3u-retriever');

  if (values.watch === undefined) {
    const playlist = positionals[0];
    if (!playlist)
      throw new ImkError(
        'USAGE',
        'usage: m3u-retriever.ts <playlist.m3u> [--root DIR]  |  --watch <folder> [--root DIR]',
      );
    const { published, skipped } = await publishPlaylist(resolve(playlist), root, logger);
    for (const id of published) console.log(id);
    for (const id of skipped) console.error(`skipped ${id}: already queued`);
    return;
  }

  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());
  const folder = createRequestFolder({
    dir: resolve(values.watch),
    extensions: ['.m3u'],
    logger,
    handle: async (request) => {
      const { published, skipped } = await publishPlaylist(request.path, root, logger);
      return {
        notes: [
          ...published.map((id) => `job ${id}`),
          ...skipped.map((id) => `skipped ${id}: already queued`),
        ],
      };
    },
  });
  await folder.serve({ intervalMs: 500, signal: controller.signal });
}

// Run only when started as a program (the functions above can be imported too).
if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(`m3u-retriever: ${errorMessage(error)}`);
    process.exitCode = 1;
  });
}
