/**
 * A first-in first-out buffer of planar float samples addressed by absolute sample index: the separator
 * appends input blocks and drops samples once their output is written. Capacity grows only with the
 * separator's latency plus the largest block pushed, never with the song.
 */
export interface SampleFifo {
  /** Absolute index of the oldest sample held. */
  readonly start: number;
  /** Absolute index one past the newest sample held. */
  readonly end: number;
  append(block: Float32Array[]): void;
  /** Copies samples [from, from + out.length) of `channel`; positions outside [start, end) read as 0. */
  read(channel: number, from: number, out: Float32Array): void;
  /** Forgets samples before `index`. */
  dropBefore(index: number): void;
}

export function createSampleFifo(channels: number, initialCapacity = 1 << 16): SampleFifo {
  let buffers = Array.from({ length: channels }, () => new Float32Array(initialCapacity));
  let head = 0; // position in buffers of sample `start`
  let start = 0;
  let end = 0;

  const ensureRoom = (extra: number): void => {
    const held = end - start;
    const capacity = buffers[0]!.length;
    if (head + held + extra <= capacity) return;
    if (held + extra <= capacity / 2) {
      for (const b of buffers) b.copyWithin(0, head, head + held);
    } else {
      let next = capacity;
      while (next < 2 * (held + extra)) next *= 2;
      buffers = buffers.map((b) => {
        const grown = new Float32Array(next);
        grown.set(b.subarray(head, head + held));
        return grown;
      });
    }
    head = 0;
  };

  return {
    get start() {
      return start;
    },
    get end() {
      return end;
    },
    append(block) {
      const n = block[0]?.length ?? 0;
      if (n === 0) return;
      ensureRoom(n);
      const at = head + (end - start);
      for (let c = 0; c < channels; c++) buffers[c]!.set(block[c]!, at);
      end += n;
    },
    read(channel, from, out) {
      const buffer = buffers[channel]!;
      const n = out.length;
      const lo = Math.max(from, start);
      const hi = Math.min(from + n, end);
      if (lo >= hi) {
        out.fill(0);
        return;
      }
      if (lo > from) out.fill(0, 0, lo - from);
      out.set(buffer.subarray(head + lo - start, head + hi - start), lo - from);
      if (hi < from + n) out.fill(0, hi - from);
    },
    dropBefore(index) {
      const to = Math.min(Math.max(index, start), end);
      head += to - start;
      start = to;
      if (start === end) head = 0;
    },
  };
}
