import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat } from './format.ts';
import { createLogger } from './logger.ts';

describe('chooseLogFormat', () => {
  it('takes the flag first, then $IMK_LOG_FORMAT, then pretty only on a terminal', () => {
    expect(chooseLogFormat('json', true, { IMK_LOG_FORMAT: 'pretty' }).format).toBe('json');
    expect(chooseLogFormat(undefined, false, { IMK_LOG_FORMAT: 'pretty' }).format).toBe('pretty');
    expect(chooseLogFormat(undefined, true, { IMK_LOG_FORMAT: 'JSON' }).format).toBe('json');
    expect(chooseLogFormat(undefined, false, {}).format).toBe('json');
  });

  it('ignores an unknown $IMK_LOG_FORMAT and says so', () => {
    expect(chooseLogFormat(undefined, false, { IMK_LOG_FORMAT: 'xml' })).toEqual({
      format: 'json',
      invalidEnv: 'xml',
    });
  });
});

describe('createLogger with format pretty', () => {
  it('writes one human line per event: time, level, service, job, message; secrets still hidden', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const logger = createLogger('nas-sync', { destination: out, format: 'pretty' });
    logger.child({ job_id: 'yt_abc_audio' }).warn({ password: 'PW-SECRET', files: 3 }, 'route failed');
    logger.info('idle');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: nas-sync \[yt_abc_audio\] route failed /);
    expect(lines[0]).toContain('"files":3');
    expect(lines[0]).not.toContain('PW-SECRET');
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: nas-sync idle$/);
  });
});
