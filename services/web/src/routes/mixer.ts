import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_QUEUE } from '@imk/config';
import { errorMessage, httpStatusOf, isImkError, oneIssuePerField } from '@imk/errors';
import {
  ARTIFACT_DIRS,
  ManifestSchema,
  REMIX_SOURCE_TYPE,
  RemixSchema,
  STEM_LEVEL_RANGE,
  STEM_NAMES,
  StemNameSchema,
  findCachedStems,
  findLegacyStems,
  formatVariantRef,
  legacyStemPath,
  mixFileVerdict,
} from '@imk/protocol';
import { createBundle, makeJobId } from '@imk/retriever-sdk';
import type { MixAlreadySavedResponse, MixQueuedResponse, MixerResponse } from '../api-types.ts';
import type { WebContext } from '../context.ts';
import { readOutput } from '../system/outputs.ts';
import { isJobId } from '../system/safe-path.ts';
import { sendCheckedFile } from '../system/send-file.ts';
import { oneAtATime } from '../system/one-at-a-time.ts';
import { pendingMix } from '../system/pending-mix.ts';
import { archivedBundle, pendingAgain, separateAgain, sourceGone } from '../system/separate-again.ts';
import { replyError } from '../errors.ts';

/** The tags a mix of a job is queued with. */
interface MixTags {
  artist: string | undefined;
  album: string | undefined;
  title: string | undefined;
}

/**
 * The stems of a published job the mixer plays and mixes, or why there are none: ours from the stem cache;
 * the earlier Python version's (it kept no stem cache) from the four WAVs it left in
 * `outputs/<job_id>/files/stems/`, read where they are (regular files inside the job folder, never changed
 * or moved).
 */
async function cachedStemsOf(ctx: WebContext, id: string) {
  const output = await readOutput(ctx.paths.outputs, id);
  if (output?.legacy === true) {
    const dir = join(ctx.paths.outputs, id);
    const stems = await findLegacyStems(dir, { legacy: true, artifacts: output.artifacts });
    const m = output.manifest;
    const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
    const tags: MixTags = { artist: text(m.artist), album: text(m.album), title: text(m.title) };
    if (stems !== undefined) return { legacy: true, tags, stems, within: dir } as const;
    return {
      legacy: true,
      reason: `job ${id} was made by the earlier instrumental-maker, and its four stems (${STEM_NAMES.map(legacyStemPath).join(', ')}) are not all in outputs/${id}/, so it cannot be mixed here; add the song again to mix it`,
    } as const;
  }
  const parsed = ManifestSchema.safeParse(output?.manifest);
  if (!parsed.success) return { reason: `job ${id} has no (current) manifest in outputs/` } as const;
  const tags: MixTags = { artist: parsed.data.artist, album: parsed.data.album, title: parsed.data.title };
  const stems = await findCachedStems(ctx.stemCacheDir, parsed.data);
  // A mix of an earlier-version output's stems: not in this host's cache, they are still that output's.
  const stemsOf = parsed.data.input.stems_of;
  if (stems === undefined && stemsOf !== undefined) {
    const earlier = await readOutput(ctx.paths.outputs, stemsOf);
    const dir = join(ctx.paths.outputs, stemsOf);
    const found =
      earlier?.legacy === true
        ? await findLegacyStems(dir, { legacy: true, artifacts: earlier.artifacts })
        : undefined;
    if (found !== undefined) return { manifest: parsed.data, tags, stems: found, within: dir } as const;
    return {
      legacy: true,
      reason: `job ${id} was mixed from the stems the earlier instrumental-maker kept in outputs/${stemsOf}/${ARTIFACT_DIRS.stems}/, which are neither in the stem cache (${ctx.stemCacheDir}) nor there any more, so it cannot be mixed here`,
    } as const;
  }
  if (stems === undefined)
    return {
      manifest: parsed.data,
      tags,
      reason: `the stems of this song are no longer in the stem cache (${ctx.stemCacheDir}); separate it again to mix it`,
    } as const;
  return { manifest: parsed.data, tags, stems, within: ctx.stemCacheDir } as const;
}

/** Why the mixer cannot play a job's stems here, and what the user can do: the same answer on every route. */
async function unavailable(ctx: WebContext, id: string, found: Awaited<ReturnType<typeof cachedStemsOf>>) {
  // A "Separate again" job on its way: the page waits for it rather than offering another.
  const again = found.manifest ? await pendingAgain(ctx, id) : undefined;
  const source = found.manifest ? await archivedBundle(ctx, id) : undefined;
  const notHere = `the stems of this song are no longer in the stem cache this host reads (${ctx.stemCacheDir}), or never were (another host separated the song), so the mixer cannot play them here`;
  const message =
    found.manifest === undefined
      ? found.reason
      : again !== undefined
        ? `${notHere}; job ${again.job_id} is separating the song again and puts them back`
        : source !== undefined
          ? `${notHere}. "Separate again" puts them back (a new job with the same song and settings), or save a mix by its levels without listening: the worker separates the archived song again to make it (minutes, not seconds)`
          : `${notHere}, and ${sourceGone(id)}`;
  return {
    message,
    // The worker can make a mix from the archived song (it separates it again): saving is still possible.
    canSaveWithoutStems: found.manifest !== undefined && source !== undefined,
    canSeparateAgain: source !== undefined && again === undefined,
    ...(again && { again }),
  };
}

/**
 * The job page's stem mixer: which stems can be played (read from the worker's stem cache, even when the
 * job kept no stem files), the stems themselves, and "Save this mix", which queues a remix job: the worker
 * mixes the cached stems at these levels and adds the variant to the job's outputs. Without the stems on
 * this host a mix can still be saved while the song is archived: the worker separates it again.
 */
export function registerMixerRoutes(app: FastifyInstance, ctx: WebContext): void {
  app.get<{ Params: { id: string } }>('/api/jobs/:id/mixer', async (request, reply) => {
    const { id } = request.params;
    if (!isJobId(id)) return replyError(reply, 'BAD_JOB_ID', { message: `"${id}" is not a job id` });
    const found = await cachedStemsOf(ctx, id);
    if (found.stems === undefined)
      return { available: false, stems: [], ...(await unavailable(ctx, id, found)) } satisfies MixerResponse;
    return {
      available: true,
      levelMax: STEM_LEVEL_RANGE.max,
      stems: STEM_NAMES.map((name) => ({
        name,
        url: `/api/jobs/${encodeURIComponent(id)}/stems/${name}.wav`,
      })),
    } satisfies MixerResponse;
  });

  app.get<{ Params: { id: string; stem: string } }>('/api/jobs/:id/stems/:stem', async (request, reply) => {
    const { id } = request.params;
    const stem = StemNameSchema.safeParse(request.params.stem.replace(/\.wav$/, ''));
    if (!isJobId(id) || !stem.success)
      return replyError(reply, 'STEM_NOT_FOUND', { message: `no stem ${request.params.stem}` });
    const found = await cachedStemsOf(ctx, id);
    if (found.stems === undefined)
      return replyError(reply, 'STEMS_NOT_CACHED', { ...(await unavailable(ctx, id, found)) });
    const file = found.stems[stem.data];
    return sendCheckedFile(request, reply, file, {
      name: 'legacy' in found ? `the ${stem.data} stem of ${id}` : `the cached ${stem.data} stem of ${id}`,
      within: found.within,
      contentType: 'audio/wav',
    });
  });

  app.post<{ Params: { id: string } }>('/api/jobs/:id/separate-again', async (request, reply) => {
    const { id } = request.params;
    if (!isJobId(id)) return replyError(reply, 'BAD_JOB_ID', { message: `"${id}" is not a job id` });
    const found = await cachedStemsOf(ctx, id);
    if ('legacy' in found)
      return replyError(reply, 'LEGACY_OUTPUT', {
        message:
          found.reason ??
          `job ${id} was made by the earlier instrumental-maker: its stems are in outputs/${id}/${ARTIFACT_DIRS.stems}/, mix away (it cannot be separated again here: its song was not archived)`,
      });
    if (found.manifest === undefined) return replyError(reply, 'JOB_NOT_FOUND', { message: found.reason });
    if (found.stems !== undefined)
      return replyError(reply, 'STEMS_CACHED', {
        message: `the stems of job ${id} are in the stem cache: mix away`,
      });
    try {
      const queued = await separateAgain(ctx, id, found.manifest);
      if (!queued.pending)
        ctx.logger.info({ job_id: queued.job_id, of: id }, 'separate again asked from the mixer: job queued');
      return reply.code(202).send(queued);
    } catch (error) {
      const code = isImkError(error) ? error.code : 'SEPARATE_AGAIN_FAILED';
      return reply
        .code(httpStatusOf(error) ?? (isImkError(error) ? 400 : 500))
        .send({ error: code, message: errorMessage(error) });
    }
  });

  app.post<{ Params: { id: string }; Body: unknown }>('/api/jobs/:id/mix', async (request, reply) => {
    const { id } = request.params;
    if (!isJobId(id)) return replyError(reply, 'BAD_JOB_ID', { message: `"${id}" is not a job id` });
    const body = typeof request.body === 'object' && request.body !== null ? request.body : {};
    const remix = RemixSchema.safeParse({ ...body, of: id });
    if (!remix.success)
      return replyError(reply, 'INVALID_MIX', {
        message: oneIssuePerField(remix.error.issues, RemixSchema)
          .map((i) => `${i.path.join('.') || 'body'}: ${i.message}`)
          .join('; '),
      });
    const found = await cachedStemsOf(ctx, id);
    // Not on this host, but the song is archived: the worker separates it again to make the mix.
    const missing = found.stems === undefined ? await unavailable(ctx, id, found) : undefined;
    const tags = 'tags' in found ? found.tags : undefined;
    if (tags === undefined || (missing !== undefined && !missing.canSaveWithoutStems))
      return replyError(reply, 'STEMS_NOT_CACHED', { ...(missing ?? { message: found.reason }) });
    // What the save does to the file it writes, by the worker's own rule (@imk/protocol mixFileVerdict): the
    // job's own file, or another mix saved at that file (tempo 0.8999 then 0.9), was refused by the worker
    // only after the page said "saving"; the same mix saved again was made again for nothing. Said now.
    const verdict = found.manifest ? mixFileVerdict(found.manifest, remix.data) : undefined;
    if (verdict !== undefined && verdict.kind !== 'same')
      return replyError(reply, 'REMIX_NAME_TAKEN', { message: `${verdict.field}: ${verdict.problem}` });
    // A second save of a mix whose first is still queued or being made: of this name, the worker would keep
    // whichever it ran last, not the one clicked last; of another name it writes to the same file, it
    // refuses the second once the first is there, after the page said "saving". Refused now, saying which
    // job to wait for.
    const variant = formatVariantRef({
      base: remix.data.variant,
      pitch: remix.data.pitch,
      tempo: remix.data.tempo,
    });
    // One save of a job's mixes at a time: two tabs saving one name at the same moment each found no
    // save waiting and each queued its own (the worker kept whichever it ran last). The next one now finds
    // the first one's job, and is refused below.
    const saving = async () => {
      const mix = { base: remix.data.variant, pitch: remix.data.pitch, tempo: remix.data.tempo };
      const pending = await pendingMix(ctx, { job_id: id, ...tags }, mix);
      if (pending !== undefined)
        return replyError(reply, 'REMIX_PENDING', {
          message:
            pending.variant === variant
              ? `variant: the mix "${variant}" of job ${id} is already being saved (job ${pending.job_id}, queue ${pending.queue}); wait until it is done, then save again to replace it`
              : `variant: the mix "${variant}" of job ${id} would be written to the same file as "${pending.variant}", which is already being saved (job ${pending.job_id}, queue ${pending.queue}); wait until it is done, or save the mix under another name`,
        });
      // Saved already at these levels (and no other save of that file on its way, above): nothing to do.
      if (verdict?.kind === 'same')
        return reply.code(200).send({
          already: true,
          job_id: id,
          variant: verdict.artifact.variant,
          path: verdict.artifact.path,
          message: `the mix "${verdict.artifact.variant}" is already saved at these levels as ${verdict.artifact.path}: nothing was queued`,
        } satisfies MixAlreadySavedResponse);
      try {
        const stamp = new Date().toISOString().slice(0, 10).replaceAll('-', '');
        const bundle = createBundle({
          jobId: makeJobId(REMIX_SOURCE_TYPE, stamp, randomBytes(3).toString('hex'), remix.data.variant),
          sourceType: REMIX_SOURCE_TYPE,
          queue: DEFAULT_QUEUE,
          root: ctx.paths.root,
          producer: 'web-mixer',
          logger: ctx.logger,
        });
        bundle.setTags({
          ...(tags.artist !== undefined && { artist: tags.artist }),
          ...(tags.album !== undefined && { album: tags.album }),
          ...(tags.title !== undefined && { title: tags.title }),
        });
        bundle.set('remix', remix.data);
        const published = await bundle.publish();
        ctx.logger.info({ job_id: published.jobId, of: id }, 'mix saved from the page: remix job queued');
        return reply.code(202).send({
          job_id: published.jobId,
          queue: DEFAULT_QUEUE,
          variant,
          ...(missing !== undefined && {
            separatesAgain: true,
            message: `the stems of this song are not in this host's stem cache: the worker separates the archived song again to make the mix, which takes minutes`,
          }),
        } satisfies MixQueuedResponse);
      } catch (error) {
        return reply
          .code(isImkError(error) ? 400 : 500)
          .send({ error: isImkError(error) ? error.code : 'MIX_FAILED', message: errorMessage(error) });
      }
    };
    return oneAtATime(`mix\0${ctx.paths.root}\0${id}`, saving, () =>
      ctx.logger.debug({ job_id: id, variant }, 'a mix of this job is being saved: answering after it'),
    );
  });
}
