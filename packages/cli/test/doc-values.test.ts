import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { QUEUE_NAMES } from '@imk/config';
import { DEFAULT_LEASE_MS, DEFAULT_POLL_MS, DEFAULT_TMP_MAX_AGE_MS, JOB_STATES } from '@imk/fsqueue';
import { LEDGER_DEFAULTS, LEDGER_STATES } from '@imk/ledger';
import { COVER_MAX_BYTES } from '@imk/media';
import {
  DIGEST_AFTER,
  MEDIA_REFRESH_MIN_INTERVAL_SEC,
  NOTIFY_CONFIG_CHECK_MS,
  REFRESH_DEFAULTS,
  STALE_CLAIM_MS,
} from '@imk/notify';
import { FIRST_CLEANUP_AFTER_MS, HEALTHCHECK_MAX_AGE_SECONDS, HEARTBEAT_INTERVAL_MS } from '@imk/ops';
import {
  ARTIFACT_KINDS,
  AUDIO_FORMATS,
  JOB_PRIORITY,
  PITCH_LIMITS,
  REPLACE_WAIT_MS,
  SAMPLE_RATE_RANGE,
  STEM_LEVEL_RANGE,
  STEM_NAMES,
  TEMPO_LIMITS,
  replaceDocValues,
} from '@imk/protocol';
import { ENGINE_NAMES } from '@imk/separation/engine-names';
import { STEM_LENGTH_SLACK_SEC } from '@imk/separation/stem-lengths';
import { SHARE_TIMEOUT_RANGE_SEC, SYNC_DEFAULTS } from '@imk/sync';
import { API_DEFAULTS } from '@imk/youtube-retriever-service';
import { DEEZER_KINDS } from '@imk/deemix-retriever-service';
import { andList, orList } from '@imk/errors';
import { CANCEL_WAIT_SECONDS } from '../src/commands/cancel.ts';
import { DOC_VALUES } from '../src/doc-values.ts';

// STYLE 16: a default the docs state is written by its home. docs/protocol.md said "lease default 30 s"
// and docs/operations.md "at most 60 s old" and "every 15 s" by hand, beside DEFAULT_LEASE_MS, the
// healthcheck's --max-age and the heartbeat's interval: change one and the page goes on saying the old one.
const DOCS = join(import.meta.dirname, '..', '..', '..', 'docs');

async function pages(): Promise<Map<string, string>> {
  const names = (await readdir(DOCS)).filter((name) => name.endsWith('.md'));
  return new Map(
    await Promise.all(names.map(async (n) => [n, await readFile(join(DOCS, n), 'utf8')] as const)),
  );
}

describe('the defaults the docs state', () => {
  it('are their constants, filled in by `npm run schemas` (no page is behind)', async () => {
    for (const [name, text] of await pages()) expect(replaceDocValues(text, DOC_VALUES), name).toBe(text);
  });

  it('are each stated through a marker: the lease, the heartbeat and the healthcheck', async () => {
    const all = [...(await pages()).values()].join('\n');
    for (const name of Object.keys(DOC_VALUES)) expect(all).toContain(`<!-- value:${name} -->`);
    expect(all).not.toMatch(
      /lease default \d+ s|default \d+ s\) is what|at most \d+ s old|every\s+\d+ s and when|default \d+ s is|taken up again after\s+(?:\d+|ten)\s+minutes|busy timeout \d+ s|written at most every \d+ ms|`--wait`, default \d+ s|refresh is tried \d+ times|\d+ MiB \(never read|the cover \d+ MiB|`shareTimeoutSec` \(\d+ s|\(127\.0\.0\.1:\d+\)|sweep age \(default \d+ h\)/,
    );
    expect(DOC_VALUES).toEqual({
      'lease-seconds': String(DEFAULT_LEASE_MS / 1000),
      'tmp-sweep-hours': String(DEFAULT_TMP_MAX_AGE_MS / 3_600_000),
      'queue-poll-seconds': String(DEFAULT_POLL_MS / 1000),
      'heartbeat-seconds': String(HEARTBEAT_INTERVAL_MS / 1000),
      'healthcheck-max-age': String(HEALTHCHECK_MAX_AGE_SECONDS),
      'notify-stale-claim-minutes': String(STALE_CLAIM_MS / 60_000),
      'notify-digest-after': String(DIGEST_AFTER),
      'notify-config-check-seconds': String(NOTIFY_CONFIG_CHECK_MS / 1000),
      'ledger-busy-timeout-seconds': String(LEDGER_DEFAULTS.busyTimeoutMs / 1000),
      'ledger-progress-interval-ms': String(LEDGER_DEFAULTS.progressIntervalMs),
      'cancel-wait-seconds': String(CANCEL_WAIT_SECONDS),
      'media-refresh-attempts': String(REFRESH_DEFAULTS.attempts),
      'media-refresh-waits': expect.stringMatching(/^\d+ s(?:, then \d+ s)*$/),
      'media-refresh-min-interval-seconds': String(MEDIA_REFRESH_MIN_INTERVAL_SEC),
      'media-refresh-slow-seconds': String(REFRESH_DEFAULTS.slowAfterMs / 1000),
      'cover-max-mib': String(COVER_MAX_BYTES / (1024 * 1024)),
      'share-timeout-seconds': String(SYNC_DEFAULTS.shareTimeoutSec),
      'retriever-http-address': `${API_DEFAULTS.host}:${API_DEFAULTS.port}`,
      'share-timeout-range': `${SHARE_TIMEOUT_RANGE_SEC.min} to ${SHARE_TIMEOUT_RANGE_SEC.max}`,
      'priority-range': `${JOB_PRIORITY.min}…${JOB_PRIORITY.max}`,
      'priority-between': `${JOB_PRIORITY.min} and ${JOB_PRIORITY.max}`,
      'priority-default': String(JOB_PRIORITY.default),
      'pitch-range': `${PITCH_LIMITS.min}…+${PITCH_LIMITS.max}`,
      'pitch-range-at': `@${PITCH_LIMITS.min} … @+${PITCH_LIMITS.max}`,
      'tempo-range': `${TEMPO_LIMITS.min}…${TEMPO_LIMITS.max.toFixed(1)}`,
      'tempo-range-x': `${TEMPO_LIMITS.min}x…${TEMPO_LIMITS.max.toFixed(1)}x`,
      'sample-rate-range': `${SAMPLE_RATE_RANGE.min} to ${SAMPLE_RATE_RANGE.max}`,
      'stem-level-range': `${STEM_LEVEL_RANGE.min}…${STEM_LEVEL_RANGE.max}`,
      'replace-wait-seconds': String(REPLACE_WAIT_MS / 1000),
      'stem-names': STEM_NAMES.join(', '),
      'stem-length-slack-seconds': String(STEM_LENGTH_SLACK_SEC),
      'audio-formats': AUDIO_FORMATS.join(', '),
      'queue-names': QUEUE_NAMES.map((q) => `\`${q}\``)
        .join(', ')
        .replace(/, (?=[^,]*$)/, ' and '),
      'artifact-kinds': ARTIFACT_KINDS.map((k) => `\`${k}\``).join(', '),
      'ledger-states': LEDGER_STATES.join(', '),
      'job-states': JOB_STATES.join(', '),
      'deezer-kinds-and': andList(DEEZER_KINDS),
      'deezer-kinds-or': orList(DEEZER_KINDS),
      'engine-names': ENGINE_NAMES.map((e) => `\`${e}\``)
        .join(', ')
        .replace(/, (?=[^,]*$)/, ' and '),
    });
  });

  it('refuse a marker with no value, so none is left unfilled', () => {
    expect(() => replaceDocValues('x <!-- value:nope -->1<!-- /value:nope --> y', DOC_VALUES)).toThrow(
      /nope/,
    );
  });
});

describe("imk healthcheck's --max-age default", () => {
  it('leaves a live service room for missed heartbeats: it is several heartbeat intervals', () => {
    expect(HEALTHCHECK_MAX_AGE_SECONDS * 1000).toBeGreaterThanOrEqual(3 * HEARTBEAT_INTERVAL_MS);
  });
});

describe('the config reference', () => {
  it("says when the first scheduled cleanup runs from the schedule's own constant", async () => {
    // retention.intervalMinutes said "the first runs a minute after the web service starts" by hand.
    const reference = await readFile(join(DOCS, 'configuration.md'), 'utf8');
    expect(reference).toContain(
      `the first runs ${FIRST_CLEANUP_AFTER_MS / 1000} s after the web service starts`,
    );
  });
});
