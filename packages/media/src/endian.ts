import { endianness } from 'node:os';
import { ImkError } from '@imk/errors';
import './errors.ts';

// WAV and ffmpeg's f32le are little-endian; typed arrays use the host's order, which is little-endian on
// every platform Node ships for (x64, arm64). Refuse clearly rather than write garbage elsewhere.
export function assertLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new ImkError('PLATFORM_UNSUPPORTED', '@imk/media needs a little-endian CPU for float32 audio');
  }
}
