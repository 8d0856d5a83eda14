import { fileReadProblem, readRegularFile } from '@imk/fs-safe';
import type { CheckResult, DoctorCheck } from '@imk/doctor';
import { errorMessage } from '@imk/errors';
import { createLogger } from '@imk/log';
import { loadYoutubeSettings } from './config.ts';
import { createYtDlp } from './yt-dlp.ts';

/** YouTube changes its pages often and old yt-dlp versions stop working; past this age doctor warns. */
export const YT_DLP_MAX_AGE_DAYS = 180;

const THEN =
  'then point ytDlpPath in config/youtube-retriever.yaml or IMK_YT_DLP at it if it is not first on PATH; distribution packages (apt) lag months behind';
const UPDATE = `\`pipx upgrade yt-dlp\` (or \`pipx install yt-dlp\`, or \`python3 -m pip install --user -U yt-dlp\`), ${THEN}`;
const INSTALL = `\`pipx install yt-dlp\` (or \`python3 -m pip install --user -U yt-dlp\`), ${THEN}`;

/** The release date in a yt-dlp version ("2025.06.30", nightly "2025.07.01.232813"), or undefined. */
export function ytDlpReleaseDate(version: string): Date | undefined {
  const match = /^(\d{4})\.(\d{1,2})\.(\d{1,2})/.exec(version.trim());
  if (!match) return undefined;
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
}

export const ytDlpCheck: DoctorCheck = {
  id: 'yt-dlp',
  title: 'yt-dlp',
  group: 'retrievers',
  required: true,
  async run({ paths, now }): Promise<CheckResult> {
    let settings;
    try {
      settings = await loadYoutubeSettings(paths.root);
    } catch (error) {
      return {
        status: 'fail',
        summary: errorMessage(error),
        fix: 'fix config/youtube-retriever.yaml as the message says',
      };
    }
    let version: string;
    let binary: string;
    let guard: string | undefined;
    try {
      const ytDlp = await createYtDlp({ binary: settings.ytDlpPath, logger: silent });
      binary = ytDlp.binary;
      guard = ytDlp.guard;
      version = await ytDlp.version();
    } catch (error) {
      return {
        status: 'fail',
        summary: errorMessage(error),
        fix: `install yt-dlp: ${INSTALL}`,
      };
    }
    if (guard === undefined)
      return {
        status: 'warn',
        summary: `yt-dlp ${version} (${binary}) runs unguarded: setpriv (util-linux) was not found, so a yt-dlp (and its ffmpeg) running when the service is killed outright (SIGKILL, the OOM killer) goes on downloading`,
        fix: '`sudo apt-get install -y util-linux` (or set IMK_SETPRIV to its path)',
      };
    const released = ytDlpReleaseDate(version);
    if (!released)
      return {
        status: 'warn',
        summary: `yt-dlp ${version} (${binary}): cannot tell its age from the version`,
        fix: UPDATE,
      };
    const days = Math.floor((now.getTime() - released.getTime()) / 86_400_000);
    const age = days > 60 ? `${Math.round(days / 30)} months old` : `${days} days old`;
    if (days > YT_DLP_MAX_AGE_DAYS)
      return {
        status: 'warn',
        summary: `yt-dlp ${version} (${binary}) is ${age}; YouTube breaks old versions (errors such as HTTP 403, "nsig extraction failed", "Sign in to confirm you're not a bot")`,
        fix: `update: ${UPDATE}`,
      };
    return { status: 'ok', summary: `yt-dlp ${version} (${binary}), ${age}` };
  },
};

export const youtubeCookiesCheck: DoctorCheck = {
  id: 'youtube-cookies',
  title: 'YouTube cookies',
  group: 'retrievers',
  required: false,
  async run({ paths }): Promise<CheckResult> {
    const settings = await loadYoutubeSettings(paths.root);
    if (settings.cookiesFile === undefined)
      return {
        status: 'skip',
        summary: 'no cookiesFile configured (needed only for age-restricted videos and bot checks)',
      };
    let text: string;
    try {
      text = await readRegularFile(settings.cookiesFile);
    } catch (error) {
      return {
        status: 'fail',
        summary: `cookiesFile ${settings.cookiesFile} cannot be read (${fileReadProblem(error)})`,
        fix: 'export the cookies of a browser signed in to YouTube again (see docs/retrievers.md, "Bot checks and cookies")',
      };
    }
    if (!/^# (?:Netscape )?HTTP Cookie File/m.test(text) && !/\tTRUE\t|\tFALSE\t/.test(text))
      return {
        status: 'warn',
        summary: `${settings.cookiesFile} does not look like a Netscape cookies file`,
        fix: 'export it with a "cookies.txt" browser extension in Netscape format',
      };
    return { status: 'ok', summary: `${settings.cookiesFile} (Netscape format)` };
  },
};

/** The YouTube retriever's checks, picked up by `imk doctor`. */
export const doctorChecks: DoctorCheck[] = [ytDlpCheck, youtubeCookiesCheck];

// Checks print their own findings; the yt-dlp wrapper's debug lines are not wanted here.
const silent = createLogger('doctor', { level: 'silent' });
