import { describe, expect, it } from 'vitest';
import { createWavWriter } from './wav-writer.ts';

// The WAV writer (the decoded mixture, the stems, every variant) passed Node's write error on as it was:
// "ENOSPC: no space left on device, write", no file. /dev/full answers every write with ENOSPC.
describe('a WAV written to a full disk', () => {
  it('fails naming the file and saying the disk is full', async () => {
    const writer = createWavWriter('/dev/full', { sampleRate: 44100, channels: 2 });
    const block = [new Float32Array(1024), new Float32Array(1024)];
    const error = (await writer
      .write(block)
      .then(() => writer.close())
      .catch((e: unknown) => e)) as NodeJS.ErrnoException;
    expect(error.message).toBe('cannot write /dev/full: the disk is full (no space left on the device)');
    expect(error.code).toBe('ENOSPC');
  });
});
