/** How one synthetic song is made: everything the renderer needs besides the seed-driven details. */
export interface CorpusItemSpec {
  id: string;
  seed: number;
  /** MIDI note of the key's tonic (60 = middle C). */
  tonic: number;
  mode: 'major' | 'minor';
  bpm: number;
  seconds: number;
  /** Pan positions, -1 (left) .. 1 (right). */
  pan: {
    /** Hi-hats; kick and snare stay near the centre as on most records. */
    hats: number;
    bass: number;
    /** The pad's notes spread from -otherWidth to +otherWidth around otherCentre. */
    otherCentre: number;
    otherWidth: number;
  };
  /** 'speech': espeak-ng saying the lyrics (falls back to 'sung' without espeak-ng); 'sung': formant synthesis. */
  voice: 'speech' | 'sung';
  /** An arpeggiated pluck in the "other" stem besides the pad. */
  arpeggio: boolean;
  hats: 8 | 16;
  lyrics: string;
}

/** Keys, tempos, pannings and voices vary across items; the list order is the test-subset order. */
export const CORPUS_ITEMS: readonly CorpusItemSpec[] = [
  {
    id: 'c-major-96',
    seed: 11,
    tonic: 60,
    mode: 'major',
    bpm: 96,
    seconds: 9,
    pan: { hats: 0.35, bass: 0, otherCentre: 0, otherWidth: 0.7 },
    voice: 'sung',
    arpeggio: false,
    hats: 8,
    lyrics: '',
  },
  {
    id: 'a-minor-120',
    seed: 22,
    tonic: 57,
    mode: 'minor',
    bpm: 120,
    seconds: 8,
    pan: { hats: -0.4, bass: 0.1, otherCentre: 0.2, otherWidth: 0.6 },
    voice: 'speech',
    arpeggio: true,
    hats: 16,
    lyrics:
      'Under the city lights we run. Nothing is lost, nothing is done. Hold on to me until the morning sun.',
  },
  {
    id: 'e-major-140',
    seed: 33,
    tonic: 64,
    mode: 'major',
    bpm: 140,
    seconds: 8.5,
    pan: { hats: 0.5, bass: 0, otherCentre: -0.25, otherWidth: 0.5 },
    voice: 'sung',
    arpeggio: true,
    hats: 8,
    lyrics: '',
  },
  {
    id: 'f-minor-84',
    seed: 44,
    tonic: 65,
    mode: 'minor',
    bpm: 84,
    seconds: 10,
    pan: { hats: -0.3, bass: -0.1, otherCentre: 0, otherWidth: 0.9 },
    voice: 'speech',
    arpeggio: false,
    hats: 16,
    lyrics:
      'Slowly the river turns to gold. Every story waits to be told. I will be there when the night is cold.',
  },
  {
    id: 'd-major-108',
    seed: 55,
    tonic: 62,
    mode: 'major',
    bpm: 108,
    seconds: 9.5,
    pan: { hats: 0.25, bass: 0, otherCentre: 0.35, otherWidth: 0.4 },
    voice: 'sung',
    arpeggio: false,
    hats: 16,
    lyrics: '',
  },
  {
    id: 'g-minor-128',
    seed: 66,
    tonic: 55,
    mode: 'minor',
    bpm: 128,
    seconds: 8,
    pan: { hats: -0.45, bass: 0.05, otherCentre: -0.1, otherWidth: 0.8 },
    voice: 'speech',
    arpeggio: true,
    hats: 8,
    lyrics: 'We are the echo of the crowd. Sing it again and sing it loud. Dancing alone beneath a cloud.',
  },
];

/** Semitone offsets of the chord roots and whether each chord is minor: I V vi IV, or i VI III VII. */
export function progression(mode: CorpusItemSpec['mode']): { root: number; minor: boolean }[] {
  return mode === 'major'
    ? [
        { root: 0, minor: false },
        { root: 7, minor: false },
        { root: 9, minor: true },
        { root: 5, minor: false },
      ]
    : [
        { root: 0, minor: true },
        { root: 8, minor: false },
        { root: 3, minor: false },
        { root: 10, minor: false },
      ];
}

/** Scale degrees in semitones (major or natural minor). */
export function scale(mode: CorpusItemSpec['mode']): number[] {
  return mode === 'major' ? [0, 2, 4, 5, 7, 9, 11] : [0, 2, 3, 5, 7, 8, 10];
}

export function midiToHz(note: number): number {
  return 440 * 2 ** ((note - 69) / 12);
}
