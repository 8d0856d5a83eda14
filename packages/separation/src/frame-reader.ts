import type { PcmChannels } from './engine.ts';

/** Reads exact-size blocks from a stream of blocks of any size (to walk several files in lockstep). */
export interface FrameReader {
  /** The next `frames` sample frames, fewer only at the end; undefined when nothing is left. */
  read(frames: number): Promise<PcmChannels | undefined>;
  /** Stops the underlying stream (e.g. ends an ffmpeg decode early). */
  close(): Promise<void>;
}

export function createFrameReader(blocks: AsyncGenerator<PcmChannels>): FrameReader {
  let pending: PcmChannels | undefined;
  let offset = 0;
  let done = false;
  return {
    async read(frames) {
      const parts: PcmChannels[] = [];
      let have = 0;
      while (have < frames) {
        if (pending === undefined || offset >= (pending[0]?.length ?? 0)) {
          if (done) break;
          const next = await blocks.next();
          if (next.done === true) {
            done = true;
            break;
          }
          pending = next.value;
          offset = 0;
          continue;
        }
        const take = Math.min(frames - have, (pending[0]?.length ?? 0) - offset);
        const start = offset;
        parts.push(pending.map((channel) => channel.subarray(start, start + take)));
        offset += take;
        have += take;
      }
      if (have === 0) return undefined;
      if (parts.length === 1 && parts[0] !== undefined) return parts[0];
      const channels = parts[0]?.length ?? 0;
      return Array.from({ length: channels }, (_, c) => {
        const out = new Float32Array(have);
        let at = 0;
        for (const part of parts) {
          const channel = part[c] ?? new Float32Array(0);
          out.set(channel, at);
          at += channel.length;
        }
        return out;
      });
    },
    async close() {
      await blocks.return(undefined);
    },
  };
}
