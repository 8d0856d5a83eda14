import { Option, type Command } from 'commander';
import { FETCH_MODES } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withRoot } from './root-option.ts';

export function registerFetch(program: Command): void {
  withRoot(
    program
      .command('fetch')
      .argument('<url...>', 'YouTube (or other yt-dlp site) or Deezer track/album/playlist links')
      .description('fetch songs by URL into the queues; prints the job ids (one per line)')
      .addOption(
        new Option(
          '--mode <mode>',
          'audio, video or both (YouTube; default from config/youtube-retriever.yaml, else audio)',
        ).choices(FETCH_MODES),
      )
      .option('--json', 'print the full result of each URL as JSON'),
  ).action(lazyAction(async () => (await import('../actions/fetch.ts')).fetchCommand));
}
