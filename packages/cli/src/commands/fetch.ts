import { Option, type Command } from 'commander';
import { DEEZER_KINDS, FETCH_MODES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerFetch(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('fetch')
        .argument('<url...>', `YouTube (or other yt-dlp site) or Deezer ${DEEZER_KINDS.join('/')} links`)
        .description('fetch songs by URL into the queues; prints the job ids (one per line)')
        .addOption(
          new Option(
            '--mode <mode>',
            // Commander lists the choices after it, from FETCH_MODES.
            'what to fetch (YouTube; default from config/youtube-retriever.yaml, else audio)',
          ).choices(FETCH_MODES),
        )
        .option('--json', 'print the full result of each URL as JSON'),
    ),
    [
      ['imk fetch https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'queue one song from YouTube'],
      [
        'imk fetch --mode both https://youtu.be/dQw4w9WgXcQ',
        'the audio and the video (its sound replaced by the instrumental)',
      ],
      ['imk fetch https://www.deezer.com/album/302127', 'a whole Deezer album, one job per track'],
    ],
  ).action(lazyAction(async () => (await import('../actions/fetch.ts')).fetchCommand));
}
