import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { recordResult } from '@imk/notify';
import { listenWeb, type RunningWeb } from '../src/index.ts';
import { quietLogger, tempRoot } from './helpers.ts';

// The web service reads what other processes recorded under state/notify/: data, not their code.
let root: string;
let cleanup: () => Promise<void>;
let web: RunningWeb;
const stop = new AbortController();

beforeAll(async () => {
  ({ root, cleanup } = await tempRoot());
  const state = join(root, 'state');
  const at = new Date().toISOString();
  await recordResult(state, {
    at,
    event: 'job.succeeded',
    target: 'phone',
    ok: false,
    attempt: 1,
    final: false,
    error: 'ntfy phone: HTTP 502',
  });
  await recordResult(state, {
    at,
    event: 'job.succeeded',
    target: 'phone',
    ok: true,
    attempt: 2,
    final: true,
    title: 'Done: A - B',
  });
  await recordResult(state, { at, event: 'refresh', target: 'jellyfin', ok: true, attempt: 1, final: true });
  web = await listenWeb({ root, logger: quietLogger(), signal: stop.signal, overrides: { port: 0 } });
});

afterAll(async () => {
  stop.abort();
  await web.closed;
  await cleanup();
});

describe('notification results on the dashboard API', () => {
  it('GET /api/notifications lists the last results, newest first', async () => {
    const body = (await (await fetch(`${web.url}/api/notifications`)).json()) as {
      results: { event: string; target: string; ok: boolean; attempt: number; error?: string }[];
    };
    expect(body.results.map((r) => `${r.event} ${r.target} ${r.ok} ${r.attempt}`)).toEqual([
      'refresh jellyfin true 1',
      'job.succeeded phone true 2',
      'job.succeeded phone false 1',
    ]);
    expect(body.results[2]?.error).toBe('ntfy phone: HTTP 502');
  });
});
