// Which streams yt-dlp is asked for. The video job of a mode "both" pair takes the sound its audio job
// takes, so the worker finds the song's stems by the decoded audio and separates it once; a video alone
// keeps the best sound there is.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { YoutubeConfig } from './config.ts';
import { loadYoutubeSettings } from './config.ts';
import { formatArgs } from './download.ts';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-yt-format-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const settings = (overrides: Partial<YoutubeConfig> = {}) => loadYoutubeSettings(root, overrides);
const formatOf = (args: string[]) => args[args.indexOf('-f') + 1];

describe('yt-dlp formats', () => {
  it("the video of a mode-both pair asks first for the audio job's m4a sound, then for the best", async () => {
    const s = await settings();
    const audio = formatOf(formatArgs('audio', s));
    const video = formatOf(formatArgs('video', s, true));
    expect(audio).toBe('bestaudio[ext=m4a]/bestaudio/best');
    expect(video).toBe('bestvideo*+bestaudio[ext=m4a]/bestvideo*+bestaudio/best/best');
    // The height limit holds in each choice.
    const limited = formatOf(formatArgs('video', await settings({ videoMaxHeight: 720 }), true));
    expect(limited).toBe(
      'bestvideo*[height<=720]+bestaudio[ext=m4a]/bestvideo*[height<=720]+bestaudio/best[height<=720]/best',
    );
  });

  it('a video alone, a webm pair, or a pair whose audio job is not m4a keeps the best sound', async () => {
    const best = 'bestvideo*+bestaudio/best/best';
    expect(formatOf(formatArgs('video', await settings()))).toBe(best);
    expect(formatOf(formatArgs('video', await settings({ videoFormat: 'webm' }), true))).toBe(best);
    for (const audioFormat of ['mp3', 'opus', 'flac', 'wav', 'best'] as const)
      expect(formatOf(formatArgs('video', await settings({ audioFormat }), true))).toBe(best);
  });
});
