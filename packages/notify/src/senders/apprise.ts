import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { OWN_PROCESS_GROUP, trackToolGroup } from '@imk/tools';
import type { z } from 'zod';
import { ImkError } from '@imk/errors';
import { cutText } from '@imk/fs-safe';
import { redactText } from '@imk/log';
import { resolveTool } from '@imk/tools';
import type { AppriseTargetSchema } from '../config.ts';
import { readNotifySecret } from '../secrets.ts';
import type { NotifySender, SenderContext } from './types.ts';
import '../errors.ts';

const APPRISE_TYPE = {
  'job.succeeded': 'success',
  'job.failed': 'failure',
  'sync.delivered': 'info',
  'sync.failed': 'warning',
} as const;

/**
 * Each URL of an Apprise URL list: one per line, or separated by spaces or commas (# lines skipped). A
 * comma splits only where another `scheme://` follows, as Apprise reads such a list itself: commas inside
 * a URL are its own (`mailto://…?to=a@x.org,b@x.org`, a header `+X-Team=a,b`).
 */
export function appriseUrls(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .flatMap((line) => line.split(/\s+/))
    .flatMap((word) => word.split(/,(?=[a-z0-9+.-]{1,32}:\/\/)/i))
    .map((url) => url.replace(/^,+|,+$/g, ''))
    .filter((url) => url.includes('://'));
}

/** The longest title given to apprise (its services cut titles far shorter: Discord 256, Pushover 250). */
const TITLE_MAX = 250;

/** A title as an argument can carry it: one line, no NUL, at most TITLE_MAX characters. */
function appriseTitle(title: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  return cutText(title.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim(), TITLE_MAX);
}

/** How long the processes of an apprise run that was asked to end get before they are killed. */
const END_GRACE_MS = 1000;

/**
 * Ends the process group an apprise run leads (the run, and whatever a wrapper script started): SIGTERM,
 * then SIGKILL for what is left a moment later. A group already gone is fine.
 */
function endGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Gone already.
    }
  };
  kill('SIGTERM');
  setTimeout(() => kill('SIGKILL'), END_GRACE_MS).unref();
}

/** Where apprise is (IMK_APPRISE, else PATH), as the sender and `imk doctor` find it. */
export function findApprise(env: NodeJS.ProcessEnv): Promise<string> {
  return resolveTool('apprise', { debianPackage: 'apprise', env });
}

/**
 * Runs Debian's `apprise` with an argument array. URLs hold tokens, so they never reach its command line
 * (visible in `ps` and in logs): they go into a config file readable only by this user, removed after.
 */
export function createAppriseSender(
  target: z.output<typeof AppriseTargetSchema>,
  name: string,
  ctx: SenderContext,
): NotifySender {
  return {
    name,
    type: 'apprise',
    async send(event, signal) {
      // Found through the notifier's env (IMK_APPRISE, PATH), the one apprise then runs with.
      const apprise = await findApprise(ctx.env).catch((error: unknown) => {
        throw new ImkError(
          'NOTIFY_APPRISE_MISSING',
          `${name}: apprise is not installed (apt-get install apprise)`,
          { cause: error },
        );
      });
      const urls = target.urls
        ? appriseUrls(readNotifySecret(target.urls, `${name}.urls`, ctx.env, 'many'))
        : [];
      if (target.urls && urls.length === 0)
        throw new ImkError('NOTIFY_CONFIG_INVALID', `${name}.urls holds no URL (expected scheme://…)`);
      const configs = target.configFile ? [target.configFile] : [];
      let urlFile: string | undefined;
      try {
        if (urls.length > 0) {
          await mkdir(ctx.scratchDir, { recursive: true, mode: 0o700 });
          urlFile = join(ctx.scratchDir, `apprise-${randomBytes(6).toString('hex')}.txt`);
          await writeFile(urlFile, `${urls.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
          configs.push(urlFile);
        }
        // The body goes on stdin (apprise reads it there when --body is not given): a command-line argument
        // can hold no NUL and at most 128 KiB, so a long failure reason, or a title with a NUL from a
        // bundle's tags, failed every try. The title stays an argument, on one line and cut to a title's length.
        const args = ['--title', appriseTitle(event.title), '--notification-type', APPRISE_TYPE[event.type]];
        for (const config of configs) args.push('--config', config);
        // Without a tag apprise skips URLs that carry one; `all` sends to every URL of the files.
        args.push('--tag', target.tag ?? 'all');
        const child = trackToolGroup(
          execa(apprise, args, {
            reject: false,
            input: event.message,
            env: { ...ctx.env, APPRISE_URLS: '' },
            extendEnv: false,
            // A process group of its own, ended whole: a wrapper script (apprise in a venv, in a container)
            // ended alone left its apprise holding the output pipes, and the send waited for it past the timeout.
            // (It is also out of reach of a Ctrl-C meant for imk, and ends with imk: tool-group.ts.)
            ...OWN_PROCESS_GROUP,
          }),
        );
        let timedOut = false;
        const end = () => endGroup(child.pid);
        const timer = setTimeout(() => {
          timedOut = true;
          end();
        }, ctx.timeoutMs);
        signal?.addEventListener('abort', end, { once: true });
        if (signal?.aborted) end();
        let result;
        try {
          result = await child;
        } finally {
          clearTimeout(timer);
          signal?.removeEventListener('abort', end);
        }
        if (result.exitCode !== 0) {
          // Not started at all (no exit code, no signal): execa's message says why.
          const said =
            result.exitCode === undefined && result.signal === undefined && !timedOut
              ? (result.shortMessage ?? '')
              : `${result.stderr ?? ''}\n${result.stdout ?? ''}`;
          let output = said.trim().split('\n').slice(-3).join(' ');
          for (const url of urls) output = output.split(url).join('[redacted]');
          throw new ImkError(
            'NOTIFY_SEND_FAILED',
            `apprise ${name}: ${timedOut ? `no answer within ${ctx.timeoutMs} ms` : `exit ${result.exitCode ?? result.signal ?? 'before it started'}`}${output ? ` (${cutText(redactText(output), 300)})` : ''}`,
          );
        }
      } finally {
        if (urlFile) await rm(urlFile, { force: true });
      }
    },
  };
}
