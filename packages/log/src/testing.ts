import { PassThrough } from 'node:stream';
import { createLogger, type Logger } from './logger.ts';

/**
 * A logger whose JSON lines are collected, for tests that check what was logged (level debug). `L` is the
 * shape the test reads of each line.
 */
export function capturingLogger<L = Record<string, unknown>>(
  name = 'test',
): { logger: Logger; lines: () => L[] } {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  const logger = createLogger(name, { destination: out, level: 'debug' });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as L),
  };
}
