import { describe, expect, it } from 'vitest';
import { isDeezerUrl, parseDeezerUrl } from './deezer-url.ts';

describe('Deezer links as people paste them', () => {
  it('takes the mobile site, any case and a fully qualified host, and gives deemix the canonical link', () => {
    for (const [link, canonical] of [
      ['https://m.deezer.com/track/3135556', 'https://www.deezer.com/track/3135556'],
      ['https://M.Deezer.com/fr/album/302127?utm_source=share', 'https://www.deezer.com/album/302127'],
      ['https://www.deezer.com./playlist/908622995', 'https://www.deezer.com/playlist/908622995'],
      ['https://deezer.com/en/track/1', 'https://www.deezer.com/track/1'],
    ]) {
      // Before, the mobile site's links were no Deezer links: yt-dlp was given them, and failed.
      expect(isDeezerUrl(new URL(link!)), link).toBe(true);
      expect(parseDeezerUrl(link!).url, link).toBe(canonical);
    }
  });

  it('leaves other sites alone', () => {
    for (const link of ['https://deezer.com.evil.example/track/1', 'https://notdeezer.com/track/1'])
      expect(isDeezerUrl(new URL(link)), link).toBe(false);
  });
});
