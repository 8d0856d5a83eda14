import { Option, type Command } from 'commander';
import { logFormatOption } from '../log-format.ts';
import { SERVICE_NAMES } from '../services.ts';
import { WEB_DEFAULT_HOST, WEB_DEFAULT_PORT } from './choices.ts';
import { lazyAction } from './lazy-action.ts';
import { withExamples } from './examples.ts';
import { withRoot } from './root-option.ts';

export function registerUp(program: Command): void {
  withExamples(
    withRoot(
      program
        .command('up')
        .description(
          'run every service in one process (retrievers, worker, NAS sync, dashboard) on the embedded defaults; Ctrl+C stops them cleanly',
        )
        .addOption(
          new Option(
            '--port <n>',
            `dashboard port (default: web.port in config/web.yaml, ${WEB_DEFAULT_PORT})`,
          ),
        )
        .addOption(
          new Option(
            '--host <address>',
            `dashboard address (default: web.host in config/web.yaml, ${WEB_DEFAULT_HOST}; anything else needs IMK_WEB__TOKEN)`,
          ),
        )
        .addOption(
          new Option('--only <names>', `comma-separated services to run (of: ${SERVICE_NAMES.join(', ')})`),
        )
        .addOption(logFormatOption())
        .addOption(new Option('--without <names>', 'comma-separated services to leave out')),
    ),
    [
      ['imk up', `everything, the dashboard on http://${WEB_DEFAULT_HOST}:${WEB_DEFAULT_PORT}`],
      ['imk up --port 9000', 'the dashboard on another port'],
      [
        'imk up --without deemix-retriever,youtube-retriever',
        'no downloads: the inbox, the worker, NAS sync and the dashboard',
      ],
    ],
  ).action(lazyAction(async () => (await import('../actions/up.ts')).upCommand));
}
