import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';

export interface SftpWriterOptions {
  /** Write requests outstanding at once (OpenSSH's own sftp client keeps up to 64). */
  inFlight: number;
}

/**
 * A sink that writes a stream in order into an open SFTP handle, keeping several write requests in flight
 * (as OpenSSH's `sftp put` does) instead of waiting for each reply: the round trip no longer limits the
 * speed. Data is still written front to back, unlike fastPut's parallel reads of the local file.
 */
export function createSftpWriter(sftp: SFTPWrapper, handle: Buffer, options: SftpWriterOptions): Writable {
  // ssh2 splits larger writes itself, one after the other; pieces this size go out side by side.
  const pieceBytes = Math.max(4096, (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen ?? 32 * 1024);
  let position = 0;
  let active = 0;
  let failure: Error | undefined;
  let resume: (() => void) | undefined;

  const settle = (): void => {
    if (resume && (active < options.inFlight || failure || active === 0)) {
      const next = resume;
      resume = undefined;
      next();
    }
  };

  const issue = (piece: Buffer): void => {
    active++;
    sftp.write(handle, piece, 0, piece.length, position, (err) => {
      active--;
      if (err && !failure) failure = err;
      settle();
    });
    position += piece.length;
  };

  return new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, callback) {
      if (failure) return callback(failure);
      for (let offset = 0; offset < chunk.length; offset += pieceBytes)
        issue(chunk.subarray(offset, offset + pieceBytes));
      if (active < options.inFlight) return callback();
      resume = () => callback(failure);
    },
    final(callback) {
      const done = () => {
        if (active === 0 || failure) callback(failure);
        else resume = done;
      };
      done();
    },
  });
}
