import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDashboardSubscription, subscriptionPaths } from '@imk/retriever-sdk';
import { createLogger } from '@imk/log';
import { loadYoutubeSettings } from '../src/config.ts';
import { listSubscriptions, type SubscriptionsMemory } from '../src/subscriptions.ts';

// config/youtube-retriever.yaml as a user writes it: every value of `every` and `limit` a hand may type.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-sub-config-'));
  await mkdir(join(root, 'config'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function load(every: string, limit: string, retry = '5m'): Promise<string> {
  await writeFile(
    join(root, 'config', 'youtube-retriever.yaml'),
    `subscriptions:\n  - url: https://www.youtube.com/playlist?list=PLx\n    every: ${every}\n    limit: ${limit}\nsubscriptionRetry: ${retry}\n`,
  );
  return loadYoutubeSettings(root).then(
    (settings) => `ok ${settings.subscriptions[0]?.every ?? ''} ${settings.subscriptions[0]?.limit ?? ''}`,
    (error: unknown) => String(error),
  );
}

describe('subscription every and limit in config/youtube-retriever.yaml', () => {
  it('takes durations with units, spaced or not; refuses the rest naming the field and saying what to write', async () => {
    expect(await load('30m', '1')).toBe('ok 30m 1');
    expect(await load('1d', '10')).toBe('ok 1d 10');
    expect(await load('90s', '3')).toBe('ok 90s 3');
    expect(await load('6 h', '3')).toBe('ok 6 h 3');
    expect(await load('1h30m', '3')).toBe('ok 1h30m 3');
    expect(await load('366d', '3')).toBe('ok 366d 3');

    for (const junk of ['-1h', 'junk', '1.5h', '30s', '"0"', '367d', '100000000d'])
      expect(await load(junk, '3')).toMatch(
        /subscriptions\.0\.every: expected a duration of at least 1m and at most 366d, such as 30m, 6h, 1d or 1h30m/,
      );
    // A bare number (YAML reads `every: 30` as one) is told which unit it lacks, not "expected string".
    const bare = await load('30', '3');
    expect(bare).toMatch(
      /subscriptions\.0\.every: expected a duration .*; a number needs its unit: 30m, 30h or 30d/,
    );
    expect(bare).not.toMatch(/expected string/);
    expect(await load('0', '3')).toMatch(
      /subscriptions\.0\.every: expected a duration .*; a number has no unit/,
    );
    expect(await load('30m', '3', '10')).toMatch(
      /subscriptionRetry: expected a duration .*: 10m, 10h or 10d/,
    );

    for (const limit of ['0', '-2'])
      expect(await load('30m', limit)).toMatch(
        /subscriptions\.0\.limit: expected at least 1: the most new entries fetched per run \(to stop a subscription, remove it\)/,
      );
    expect(await load('30m', '2.5')).toMatch(
      /subscriptions\.0\.limit: expected a whole number of entries, at least 1/,
    );
    expect(await load('30m', 'ten')).toMatch(
      /subscriptions\.0\.limit: expected a whole number of entries, at least 1/,
    );
  });

  it('two subscriptions of one list and mode are refused naming the second; another mode is a subscription of its own', async () => {
    const file = join(root, 'config', 'youtube-retriever.yaml');
    const list = 'https://www.youtube.com/playlist?list=PLx';
    await writeFile(
      file,
      `subscriptions:\n  - { url: "${list}", every: 6h, limit: 2 }\n  - { url: "${list}", mode: video }\n  - { url: "${list}", every: 30m, limit: 50 }\n`,
    );
    const said = await loadYoutubeSettings(root).then(
      () => 'accepted',
      (error: unknown) => String(error),
    );
    // Before, the third was taken and never ran: the first held its status, archive and schedule.
    expect(said).toContain(
      'subscriptions.2.url: the same list and mode as subscriptions.0: only that one would run (with its every and limit); remove one of them',
    );
    expect(said).not.toContain('subscriptions.1');
    await writeFile(file, `subscriptions:\n  - { url: "${list}" }\n  - { url: "${list}", mode: video }\n`);
    expect((await loadYoutubeSettings(root)).subscriptions).toHaveLength(2);
  });

  it('one added from the dashboard that the YAML already has is said once in the log: the YAML one runs', async () => {
    const list = 'https://www.youtube.com/playlist?list=PLdash';
    await writeFile(
      join(root, 'config', 'youtube-retriever.yaml'),
      `subscriptions:\n  - { url: "${list}", mode: audio, every: 6h, limit: 2 }\n`,
    );
    const settings = await loadYoutubeSettings(root);
    // The dashboard answers "added": it does not read the retriever's YAML.
    expect(
      (await addDashboardSubscription(settings.stateDir, { url: list, mode: 'audio', every: '30m' })).added,
    ).toBe(true);
    const lines: string[] = [];
    const logger = createLogger('test', {
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const memory: SubscriptionsMemory = {};
    for (let tick = 0; tick < 3; tick++) {
      const listed = await listSubscriptions(settings, logger, memory);
      expect(listed.map((l) => [l.source, l.subscription.every])).toEqual([['config', '6h']]);
    }
    const said = lines.filter((line) => line.includes('is also in config/youtube-retriever.yaml'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain(
      `the subscription added from the dashboard for ${list} (audio) is also in config/youtube-retriever.yaml: the YAML's (every 6h, limit 2) is the one that runs; remove one of them`,
    );
  });

  it('a dashboard file holding one list twice, once with the spaces of its paste, runs it once and says nothing of the YAML', async () => {
    const list = 'https://www.youtube.com/playlist?list=PLspaced';
    await writeFile(join(root, 'config', 'youtube-retriever.yaml'), 'subscriptions: []\n');
    const settings = await loadYoutubeSettings(root);
    // As an earlier version saved it: the paste's trailing space kept, a second entry beside the first.
    const file = subscriptionPaths(settings.stateDir).dashboardFile;
    await mkdir(dirname(file), { recursive: true });
    const entry = (url: string) => ({
      url,
      mode: 'audio',
      every: '1h',
      limit: 5,
      added_at: '2026-01-01T00:00:00.000Z',
    });
    await writeFile(
      file,
      JSON.stringify({ schema_version: 1, subscriptions: [entry(list), entry(`${list} `)] }),
    );
    const lines: string[] = [];
    const logger = createLogger('test', {
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const listed = await listSubscriptions(settings, logger, {});
    expect(listed.map((l) => [l.source, l.subscription.url])).toEqual([['dashboard', list]]);
    expect(lines.filter((line) => line.includes('config/youtube-retriever.yaml'))).toEqual([]);
  });
});
