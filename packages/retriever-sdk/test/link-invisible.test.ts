// A link copied from a chat app, a web page or right-to-left text often comes with invisible characters
// beside it: a zero-width space, a joiner, a direction mark, a word joiner, a BOM. Before, one in front
// made the link "not a URL" (the message quoting a link that looked right) and one behind it was sent to
// the site as %E2%80%8B, part of the video's or track's id; a subscription with one was refused or became
// a second subscription of the same list. Each is now dropped from around the link, as white space is.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import {
  SubscriptionSchema,
  createUrlRequestFolder,
  emptyResult,
  fetchUrl,
  subscriptionId,
  type UrlRetriever,
} from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
const LINKS = [
  'https://youtu.be/dQw4w9WgXcQ?si=abc&t=42',
  'https://music.youtube.com/watch?v=dQw4w9WgXcQ',
  'https://www.deezer.com/en/track/3135556',
];
// Zero-width space, non-joiner, joiner, left-to-right and right-to-left marks, LTR embedding and its end,
// word joiner, BOM, soft hyphen: the Unicode format characters (Cf) pasted with links.
const INVISIBLE = [
  '\u200b',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u202a',
  '\u202c',
  '\u2060',
  '\ufeff',
  '\u00ad',
];
const around = (link: string, c: string) => [
  `${c}${link}`,
  `${link}${c}`,
  `${c}${link}${c}`,
  ` \n${c}${link}${c} \n`,
  `${c} ${link} ${c}\u200e`,
];

function recordingRetriever(seen: string[]): UrlRetriever {
  return {
    name: 'recording',
    accepts: 'any http(s) link',
    matches: () => true,
    fetch: (url) => {
      seen.push(url);
      return Promise.resolve(emptyResult('recording', url));
    },
    requestFolder: () => Promise.resolve({ dir, extension: '.txt', modes: false }),
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-link-invisible-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a link pasted with invisible characters around it', () => {
  it('imk fetch and POST /api/requests (fetchUrl) send the link itself to the retriever', async () => {
    for (const link of LINKS)
      for (const c of INVISIBLE)
        for (const text of around(link, c)) {
          const seen: string[] = [];
          await fetchUrl(text, { root: dir, logger }, [recordingRetriever(seen)]);
          expect({ text, seen }).toEqual({ text, seen: [new URL(link).href] });
        }
  });

  it('two links with only an invisible character between them are said to be two links', async () => {
    await expect(
      fetchUrl(`${LINKS[0]!}\u200b${LINKS[1]!}`, { root: dir, logger }, [recordingRetriever([])]),
    ).rejects.toMatchObject({ code: 'INVALID_URL', message: expect.stringMatching(/holds 2 links/) });
  });

  it('a request file fetches the link itself, once, and ends .done', async () => {
    const seen: string[] = [];
    const lines = INVISIBLE.map((c) => `${c}${LINKS[0]!}${c}`);
    // A line holding only an invisible character is a blank line, and a comment after one is a comment.
    await writeFile(join(dir, 'song.txt'), `\ufeff${lines.join('\r\n')}\r\n\u200b\r\n\u200b# for Sam\r\n`);
    const folder = createUrlRequestFolder({
      dir,
      extensions: ['.txt'],
      logger,
      stableChecks: 1,
      fetch: (url) => {
        seen.push(url);
        return Promise.resolve(emptyResult('recording', url));
      },
    });
    await folder.scan();
    await folder.scan();
    expect(seen).toEqual([LINKS[0]!]);
    expect((await readdir(dir)).sort()).toEqual(['song.done']);
  });

  it('a subscription is the same subscription as the link without them', () => {
    const link = 'https://www.youtube.com/@SomeChannel/videos';
    for (const c of INVISIBLE)
      for (const text of around(link, c)) {
        const parsed = SubscriptionSchema.safeParse({ url: text });
        expect({ text, ok: parsed.success, url: parsed.data?.url }).toEqual({ text, ok: true, url: link });
        expect(subscriptionId(parsed.data!)).toBe(subscriptionId({ url: link }));
      }
  });
});
