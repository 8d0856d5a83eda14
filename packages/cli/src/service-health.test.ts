import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { notificationsHealthCheck, openNotifier } from '@imk/notify';
import { createHealthState, watchServiceHealth } from './service-health.ts';

/** A service's shown state, as the supervisor keeps it. */
function shown() {
  const state: { state: string; detail?: string; reasons: string[] } = { state: 'starting', reasons: [] };
  const health = createHealthState({
    show: (now, detail, reasons) => {
      state.state = now;
      state.detail = detail;
      state.reasons = reasons;
    },
    isRunning: () => state.state === 'running' || state.state === 'degraded',
    detail: () => state.detail,
  });
  return { state, health };
}

describe('createHealthState: what the checks say shows once the service runs', () => {
  it('keeps a report that came before the service was running (degraded from the start is not shown green)', () => {
    const { state, health } = shown();
    // The checks start with the service and report only changes: this is their one report until the
    // reasons change, and it comes while the service is still starting.
    health.report(['deemix: not installed (fix: apt install …)']);
    expect(state.state).toBe('starting');
    health.running('http://127.0.0.1:8080');
    expect(state).toEqual({
      state: 'degraded',
      detail: 'http://127.0.0.1:8080',
      reasons: ['deemix: not installed (fix: apt install …)'],
    });
  });

  it('follows later reports while running, keeping the detail', () => {
    const { state, health } = shown();
    health.running('http://127.0.0.1:8080');
    expect(state.state).toBe('running');
    health.report(['ffmpeg: not found']);
    expect(state).toMatchObject({
      state: 'degraded',
      detail: 'http://127.0.0.1:8080',
      reasons: ['ffmpeg: not found'],
    });
    health.report([]);
    expect(state).toMatchObject({ state: 'running', detail: 'http://127.0.0.1:8080', reasons: [] });
  });

  it('shows nothing for a report while the service is not running (stopped, failed)', () => {
    const { state, health } = shown();
    health.running();
    state.state = 'stopped';
    health.report(['ffmpeg: not found']);
    expect(state.state).toBe('stopped');
  });
});

describe('watchServiceHealth: a config file read again is looked at at once', () => {
  it('config/notify.yaml fixed while running: degraded ends within seconds, not at the next minute', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-health-watch-'));
    const controller = new AbortController();
    await mkdir(join(root, 'config'));
    const file = join(root, 'config', 'notify.yaml');
    await writeFile(file, 'targets:\n  - type: ntfy\n');
    const handle = await openNotifier({ root, logger: createLogger('health-test', { level: 'silent' }) });
    const reports: { at: number; reasons: string[] }[] = [];
    const reported = async (test: (reasons: string[]) => boolean, withinMs: number) => {
      const deadline = Date.now() + withinMs;
      while (!reports.some((r) => test(r.reasons))) {
        if (Date.now() > deadline)
          throw new Error(`not reported in ${String(withinMs)} ms: ${JSON.stringify(reports)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      // The periodic look stays at its default (a minute): only the file's reading may bring the next one.
      watchServiceHealth({
        root,
        checks: [notificationsHealthCheck],
        signal: controller.signal,
        report: (reasons) => reports.push({ at: Date.now(), reasons }),
      });
      await reported((reasons) => reasons.some((r) => r.startsWith('notifications: off: ')), 10_000);
      await writeFile(file, 'targets:\n  - { type: webhook, name: hass, url: "http://127.0.0.1:9/hook" }\n');
      // Read again within twice NOTIFY_CONFIG_CHECK_MS (2 s): healthy well before a minute is over.
      await reported((reasons) => reasons.length === 0, 15_000);
      expect(reports.at(-1)?.reasons).toEqual([]);
    } finally {
      controller.abort();
      await handle.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
