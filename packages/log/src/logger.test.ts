import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

async function capture(write: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  write(createLogger('test', { destination: out }));
  await new Promise((resolve) => setImmediate(resolve));
  return chunks.join('');
}

describe('createLogger', () => {
  it('never writes secrets, at any depth', async () => {
    const text = await capture((logger) =>
      logger.info(
        {
          arl: 'ARL-SECRET',
          backend: { secretAccessKey: 'S3-SECRET', name: 'nas', deep: { x: { password: 'PW-SECRET' } } },
        },
        'hello',
      ),
    );
    expect(text).toContain('hello');
    expect(text).toContain('nas');
    expect(text).not.toContain('ARL-SECRET');
    expect(text).not.toContain('S3-SECRET');
    expect(text).not.toContain('PW-SECRET');
  });

  it('strips credentials from URLs in fields, messages, errors and child bindings', async () => {
    const text = await capture((logger) => {
      logger.info(
        { url: 'http://alice:URL-PASS@nas.local/x' },
        'fetching http://bob:MSG-PASS@h/?token=Q-TOKEN',
      );
      logger.error({ err: new Error('GET https://carol:ERR-PASS@h failed') }, 'failed');
      logger.child({ endpoint: 'https://dave:CHILD-PASS@s3.local' }).child({ job_id: 'j1' }).warn('child');
      logger.warn('%s went wrong', 'https://erin:FMT-PASS@h');
    });
    for (const secret of ['URL-PASS', 'MSG-PASS', 'Q-TOKEN', 'ERR-PASS', 'CHILD-PASS', 'FMT-PASS'])
      expect(text).not.toContain(secret);
    expect(text).toContain('nas.local/x');
    expect(text).toContain('s3.local');
    expect(text).toMatch(/s3\.local.*j1/);
  });
});
