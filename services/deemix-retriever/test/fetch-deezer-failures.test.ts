import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchDeezer, loadDeemixSettings } from '../src/index.ts';
import { capturingLogger, deemixFixtures, setup } from './deemix-kit.ts';

deemixFixtures();

describe('fetchDeezer (deemix stand-in)', () => {
  it('explains links it cannot take, and a track Deezer does not have', async () => {
    const { root, settings, env } = await setup();
    const { logger } = capturingLogger();
    await expect(
      fetchDeezer('https://www.deezer.com/artist/27', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_URL',
      message: expect.stringMatching(/not a track, album or playlist/),
    });
    await expect(
      fetchDeezer('https://www.youtube.com/watch?v=x', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'UNSUPPORTED_URL',
    });
    await expect(
      fetchDeezer('https://www.deezer.com/track/404', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'DEEZER_UNAVAILABLE',
    });
  });

  it('an album deemix downloaded only in part (a track it says is not available, exit code 0) is a failure naming that track; the tracks that came are queued', async () => {
    const { root, settings, env } = await setup({ bitrate: '128' });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/fr/album/555?utm_source=deezer', {
      root,
      logger,
      settings,
      env,
    });
    expect(result.jobs.map((job) => job.title)).toEqual(['Song 1']);
    expect(result.failures).toEqual([
      {
        code: 'DEEZER_UNAVAILABLE',
        message: expect.stringMatching(
          /^deemix did not download everything of https:\/\/www\.deezer\.com\/album\/555; it said: .*Song 2 :: Track not available on Deezer!$/,
        ) as unknown,
      },
    ]);
  });

  it('a track the account may not stream at the bitrate asked for is said as that, with the setting that fixes it; at 128 it comes', async () => {
    const { root, settings, env } = await setup({ bitrate: 'flac' });
    const { logger } = capturingLogger();
    // Before: DEEMIX_NOTHING, "downloaded nothing … check that it plays", which it does in the browser.
    await expect(
      fetchDeezer('https://www.deezer.com/track/403', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'DEEZER_BITRATE',
      message: expect.stringMatching(
        /^Deezer does not give https:\/\/www\.deezer\.com\/track\/403 at bitrate flac to the account of your ARL .*set bitrate: 320 or 128 in config\/deemix-retriever\.yaml/,
      ) as unknown,
    });
    const at128 = await loadDeemixSettings(root, { deemixPath: settings.deemixPath, bitrate: '128' });
    const result = await fetchDeezer('https://www.deezer.com/track/403', {
      root,
      logger,
      settings: at128,
      env,
    });
    expect(result.jobs.map((job) => job.jobId)).toEqual(['dz_QZSTD0000403']);
  });

  it('tracks of an album deemix could not have for any of its reasons (bitrate, country, not encoded, disk full) are each a failure with its code; none is taken for downloaded', async () => {
    const { root, settings, env } = await setup({ bitrate: 'flac' });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/album/666', { root, logger, settings, env });
    expect(result.jobs.map((job) => job.title)).toEqual(['Song 1']);
    // Before: no failure at all (the request was .done, three songs of four missing, and imk fetch exited 0).
    expect(result.failures.map((failure) => [failure.code, failure.message.replace(/^.*:: /, '')])).toEqual([
      ['DEEZER_BITRATE', "Your account can't stream the track at the desired bitrate."],
      ['DEEZER_UNAVAILABLE', "Your account can't stream the track from your current country."],
      ['DEEZER_UNAVAILABLE', 'Track not yet encoded!'],
      ['DEEMIX_DISK_FULL', 'No space left on target drive, clean up some space for the tracks'],
    ]);
  });

  it('says a track, album or playlist link whose id is cut or mistyped is that, not "not a track", without running deemix', async () => {
    const { root, settings, env } = await setup();
    const { logger } = capturingLogger();
    for (const [link, said] of [
      [
        'https://www.deezer.com/track/31355x6',
        'a Deezer track link that has "31355x6" where its id (a number) goes',
      ],
      ['https://www.deezer.com/fr/album/', 'a Deezer album link that has no id (the number after /album/)'],
      [
        'https://www.deezer.com/playlist/abc?utm_source=x',
        'a Deezer playlist link that has "abc" where its id',
      ],
    ] as const)
      await expect(fetchDeezer(link, { root, logger, settings, env })).rejects.toMatchObject({
        code: 'UNSUPPORTED_URL',
        message: expect.stringContaining(said) as unknown,
      });
    await expect(readFile(join(root, 'stand-in.log'), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a deemix run that exits 0 having written nothing says so, naming the link and what to check', async () => {
    const { root, settings, env } = await setup();
    const { logger } = capturingLogger();
    await expect(
      fetchDeezer('https://www.deezer.com/track/204', { root, logger, settings, env }),
    ).rejects.toMatchObject({
      code: 'DEEMIX_NOTHING',
      message: expect.stringMatching(
        /^deemix finished but downloaded nothing for https:\/\/www\.deezer\.com\/track\/204 \(deemix said: Requesting track 204\.\.\.\); open the link on deezer\.com and check that it plays/,
      ) as unknown,
    });
    expect(await readdir(join(root, 'queues')).catch(() => [])).toEqual([]);
  });
});
