/**
 * A minimal Standard MIDI File writer (format 0, one track): just what the corpus needs, notes, program
 * changes, controllers and pitch bends on a fixed tempo. Times are in beats (quarter notes).
 */
export const PPQ = 480;

export interface MidiEvent {
  tick: number;
  /** Order among events at the same tick: lower first (note-offs before note-ons, set-up before notes). */
  order: number;
  bytes: number[];
}

export interface MidiPart {
  events: MidiEvent[];
  program(channel: number, program: number, beat?: number): void;
  control(channel: number, controller: number, value: number, beat?: number): void;
  note(channel: number, beat: number, beats: number, key: number, velocity: number): void;
  /** Pitch bend, -1..1 of the bend range (set with bendRange). */
  bend(channel: number, beat: number, amount: number): void;
  /** Sets the pitch-bend range in semitones (RPN 0). */
  bendRange(channel: number, semitones: number): void;
}

const tick = (beat: number) => Math.max(0, Math.round(beat * PPQ));
const byte = (v: number) => Math.max(0, Math.min(127, Math.round(v)));

export function createMidiPart(): MidiPart {
  const events: MidiEvent[] = [];
  const push = (beat: number, order: number, bytes: number[]) =>
    events.push({ tick: tick(beat), order, bytes });
  const control = (channel: number, controller: number, value: number, beat = 0) =>
    push(beat, 1, [0xb0 | channel, controller, byte(value)]);
  return {
    events,
    program: (channel, program, beat = 0) => push(beat, 0, [0xc0 | channel, program & 127]),
    control,
    note(channel, beat, beats, key, velocity) {
      if (beats <= 0) return;
      push(beat, 3, [0x90 | channel, byte(key), Math.max(1, byte(velocity))]);
      push(beat + beats, 2, [0x80 | channel, byte(key), 0]);
    },
    bend(channel, beat, amount) {
      const value = Math.max(0, Math.min(16383, Math.round(8192 + amount * 8191)));
      push(beat, 1, [0xe0 | channel, value & 127, value >> 7]);
    },
    bendRange(channel, semitones) {
      control(channel, 101, 0);
      control(channel, 100, 0);
      control(channel, 6, semitones);
      control(channel, 38, 0);
    },
  };
}

/** The bytes of a format-0 MIDI file holding `events` at `bpm`, ending `tailBeats` after the last event. */
export function midiFileBytes(events: readonly MidiEvent[], bpm: number, tailBeats = 4): Uint8Array {
  const sorted = [...events].sort((a, b) => a.tick - b.tick || a.order - b.order);
  const body: number[] = [];
  const tempo = Math.round(60_000_000 / bpm);
  body.push(0, 0xff, 0x51, 3, (tempo >> 16) & 255, (tempo >> 8) & 255, tempo & 255);
  let now = 0;
  for (const event of sorted) {
    body.push(...varLen(event.tick - now), ...event.bytes);
    now = event.tick;
  }
  // A final no-op controller keeps the renderer going through the tail (reverb, releases).
  body.push(...varLen(tick(tailBeats)), 0xb0, 110, 0);
  body.push(0, 0xff, 0x2f, 0);
  const header = [0x4d, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, 0, 0, 1, PPQ >> 8, PPQ & 255];
  const len = body.length;
  const track = [0x4d, 0x54, 0x72, 0x6b, (len >>> 24) & 255, (len >> 16) & 255, (len >> 8) & 255, len & 255];
  return Uint8Array.from([...header, ...track, ...body]);
}

function varLen(value: number): number[] {
  const out = [value & 0x7f];
  for (let v = value >> 7; v > 0; v >>= 7) out.unshift((v & 0x7f) | 0x80);
  return out;
}
