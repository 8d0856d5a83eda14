import { Option, type Command } from 'commander';
import { DEFAULT_QUEUE, JOB_PRIORITY, QUEUE_NAMES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerEnqueue(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('enqueue')
        .argument('<audio-file>', 'the song to process (copied into the bundle)')
        .description('publish a job bundle by hand and print its job id')
        .addOption(
          new Option('--queue <queue>', 'queue to publish into')
            .choices([...QUEUE_NAMES])
            .default(DEFAULT_QUEUE),
        )
        .option(
          '--artist <artist>',
          'artist tag (default: the file\'s tag, else "Artist - Title" in its name)',
        )
        .option('--album <album>', "album tag (default: the file's tag)")
        .option('--title <title>', "title tag (default: the file's tag, else its name)")
        .option('--video <file>', 'a video whose audio is replaced by the instrumental')
        .option('--cover <file>', 'cover art image')
        .option('--job-id <id>', 'job id (default: a readable slug of the tags plus a short random suffix)')
        .option(
          '--priority <n>',
          `higher runs first (${JOB_PRIORITY.min} to ${JOB_PRIORITY.max}, default ${JOB_PRIORITY.default})`,
        ),
    ),
    [
      ['imk enqueue song.mp3', 'queue a song; artist and title from its tags (else its file name)'],
      ['imk enqueue "Nina Simone - Sinnerman.mp3" --priority 10', 'queue it ahead of the others'],
    ],
  ).action(lazyAction(async () => (await import('../actions/enqueue.ts')).enqueueCommand));
}
