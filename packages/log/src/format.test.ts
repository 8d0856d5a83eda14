import { PassThrough } from 'node:stream';
import { execa } from 'execa';
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

  it('keeps an event on one line whatever its message holds: line breaks, a carriage return, terminal escapes, an err', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const logger = createLogger('youtube-retriever', { destination: out, format: 'pretty' });
    // A tool's stderr (a traceback) and a video title are untrusted text; a token in one stays hidden.
    logger
      .child({ job_id: 'yt_a\nb' })
      .error(
        { err: 'ERROR: private video\nSign in to confirm your age' },
        'fetch failed:\nTraceback (most recent call last):\n[12:00:00.000] INFO: forged line\rtoken=SECRET-T0KEN',
      );
    logger.info('title \u001b[2J\u001b]0;owned\u0007Björk \u009b31m');
    await new Promise((resolve) => setImmediate(resolve));
    const lines = chunks.join('').trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[\d\d:\d\d:\d\d\.\d{3}\] ERROR: youtube-retriever \[yt_a\\nb\] fetch failed:\\nTraceback \(most recent call last\):\\n\[12:00:00\.000\] INFO: forged line\\rtoken=\[redacted\] /,
    );
    expect(lines[0]).toContain('"err":"ERROR: private video\\nSign in to confirm your age"');
    expect(lines[1]).toMatch(
      /INFO: youtube-retriever title \\u001b\[2J\\u001b\]0;owned\\u0007Björk \\u009b31m$/,
    );
    // Nothing a terminal obeys reaches it (no colours asked for here either).
    // eslint-disable-next-line no-control-regex -- control characters are what is looked for
    expect(chunks.join('')).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });
});

// `imk up` makes a logger per service in one process: an unknown $IMK_LOG_FORMAT was warned of by each
// (twice with one service, seven times with all). Said once now, naming the variable and what it takes.
describe('an unknown $IMK_LOG_FORMAT', () => {
  it('is warned of once per process, however many loggers it makes, naming the variable and the formats', async () => {
    const script = `import { createLogger } from ${JSON.stringify(new URL('./logger.ts', import.meta.url).pathname)};
for (const service of ['imk-up', 'inbox', 'instrumental-maker']) createLogger(service).info('started');`;
    const { stderr } = await execa(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        env: { IMK_LOG_FORMAT: 'xml' },
      },
    );
    const warnings = stderr.split('\n').filter((line) => line.includes('IMK_LOG_FORMAT'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!).msg).toBe(
      'IMK_LOG_FORMAT=xml is not a log format: write json or pretty; ignored (json chosen)',
    );
    expect(stderr.split('\n').filter((line) => line.includes('"started"'))).toHaveLength(3);
  });
});
