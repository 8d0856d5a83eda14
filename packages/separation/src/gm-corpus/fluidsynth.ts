import { existsSync } from 'node:fs';
import { ImkError } from '@imk/errors';
import { resolveTool } from '@imk/tools';
import { execa } from 'execa';
import '../errors.ts';

/** Where Debian's General MIDI soundfonts live (fluid-soundfont-gm, musescore-general-soundfont-small). */
export const SOUNDFONT_CANDIDATES = [
  '/usr/share/sounds/sf2/FluidR3_GM.sf2',
  '/usr/share/sounds/sf2/default-GM.sf2',
  '/usr/share/sounds/sf3/MuseScore_General.sf3',
  '/usr/share/sounds/sf3/default-GM.sf3',
];

/** The GM soundfont: $IMK_SOUNDFONT, else the first Debian one present; ImkError('SOUNDFONT_MISSING') if none. */
export function findSoundfont(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.IMK_SOUNDFONT;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!existsSync(fromEnv))
      throw new ImkError('SOUNDFONT_MISSING', `IMK_SOUNDFONT=${fromEnv}: no such file`);
    return fromEnv;
  }
  const found = SOUNDFONT_CANDIDATES.find((path) => existsSync(path));
  if (found === undefined) {
    throw new ImkError(
      'SOUNDFONT_MISSING',
      `no General MIDI soundfont (looked at ${SOUNDFONT_CANDIDATES.join(', ')}): install it with \`sudo apt-get install fluid-soundfont-gm\` or set IMK_SOUNDFONT`,
    );
  }
  return found;
}

export async function fluidsynthPath(): Promise<string> {
  return resolveTool('fluidsynth', { envVar: 'IMK_FLUIDSYNTH', debianPackage: 'fluidsynth' });
}

export async function fluidsynthVersion(): Promise<string> {
  const { stdout } = await execa(await fluidsynthPath(), ['--version'], { stdin: 'ignore' });
  return stdout.split('\n')[0]?.trim() ?? 'fluidsynth';
}

/**
 * Renders a MIDI file to a float WAV (44.1 kHz stereo) offline, as fast as the CPU allows. Reverb on or
 * off for the whole file (the amount per part is its CC91 send); chorus off.
 */
export async function renderMidi(
  midi: string,
  wav: string,
  soundfont: string,
  options: { reverb: boolean; sampleRate: number },
): Promise<void> {
  const args = ['-n', '-i', '-q', '-R', options.reverb ? '1' : '0', '-C', '0', '-g', '0.5'];
  args.push('-r', String(options.sampleRate), '-O', 'float', '-T', 'wav', '-F', wav, soundfont, midi);
  await execa(await fluidsynthPath(), args, { stdin: 'ignore' });
}
