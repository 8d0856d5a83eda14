import { describe, expect, it } from 'vitest';
import { createHealthState } from './service-health.ts';

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
