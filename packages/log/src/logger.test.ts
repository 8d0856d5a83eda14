import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('never writes secrets, at any depth', async () => {
    const out = new PassThrough();
    const chunks: string[] = [];
    out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const logger = createLogger('test', { destination: out });
    logger.info({ arl: 'ARL-SECRET', backend: { secretAccessKey: 'S3-SECRET', name: 'nas' } }, 'hello');
    await new Promise((resolve) => setImmediate(resolve));
    const text = chunks.join('');
    expect(text).toContain('hello');
    expect(text).toContain('nas');
    expect(text).not.toContain('ARL-SECRET');
    expect(text).not.toContain('S3-SECRET');
  });
});
