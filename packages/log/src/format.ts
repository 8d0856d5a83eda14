import { createRequire } from 'node:module';
import type PinoPretty from 'pino-pretty';

// pino-pretty is loaded when a pretty destination is made, not by every process that logs JSON (every
// service and CLI command in a container or test): it and its dependencies cost each start ~0.1 s.
const require = createRequire(import.meta.url);

/** json: one JSON object per line (machines, containers, files); pretty: one human line per event. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Chooses the log format when no `--log-format` flag does; the same convention as IMK_LOG_LEVEL. */
export const LOG_FORMAT_ENV = 'IMK_LOG_FORMAT';

export function isLogFormat(value: string | undefined): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value ?? '');
}

export interface LogFormatChoice {
  format: LogFormat;
  /** Set when $IMK_LOG_FORMAT held something else than json or pretty (it is then ignored). */
  invalidEnv?: string | undefined;
}

/**
 * The format asked for (a flag passes it; else $IMK_LOG_FORMAT), else pretty when the logs go to a
 * terminal, else JSON. Containers get JSON from the image (`ENV IMK_LOG_FORMAT=json`), not by sniffing
 * /.dockerenv: a developer's terminal inside a dev container still gets readable lines. The destination's own TTY-ness decides (logs go to stderr, so
 * `imk up | tee out.txt` in a terminal still gets readable logs, and `imk up 2>log.json` gets JSON).
 */
export function chooseLogFormat(
  explicit: string | undefined,
  destinationIsTty: boolean,
  env: NodeJS.ProcessEnv = process.env,
): LogFormatChoice {
  if (isLogFormat(explicit)) return { format: explicit };
  const fromEnv = env[LOG_FORMAT_ENV]?.trim().toLowerCase();
  if (isLogFormat(fromEnv)) return { format: fromEnv };
  const format: LogFormat = destinationIsTty ? 'pretty' : 'json';
  return fromEnv ? { format, invalidEnv: env[LOG_FORMAT_ENV] } : { format };
}

/** What pino writes to: anything with `write(line)` (a file descriptor stream, a test's PassThrough). */
export interface LineSink {
  write(chunk: string): unknown;
}

/** Control characters: a line break, a carriage return, a terminal escape (ESC, C1 codes), DEL. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Text that stays on its one line of a terminal: control characters shown as JSON escapes (`\n`, `\u001b`).
 * Messages carry untrusted text (a video title, a tool's stderr, a file name): a line break in one made an
 * event look like several, one of which could pass for a line of its own, and an escape sequence in one
 * was obeyed by the terminal (colours, a cleared screen, a rewritten line).
 */
export function oneLine(text: string): string {
  return text.replace(
    CONTROL,
    (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text a command prints to a terminal: every control character but the line break and the tab shown as a
 * JSON escape (`\u001b`, `\r`), as oneLine does. What `imk jobs`, `imk job` and an error print carries text
 * from files others wrote (a job.json's artist and title, a rejection's reason): an escape sequence in it
 * was obeyed by the user's terminal (a cleared screen, a rewritten window title, hidden lines).
 */
export function terminalText(text: string): string {
  return text.replace(
    CONTROL_BUT_LINES,
    (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** The fields pino-pretty prints as they are (messageFormat's): every other one is shown as JSON. */
const SHOWN_RAW = ['msg', 'service', 'job_id'] as const;

/**
 * A pino destination that turns each JSON line into one human line with pino-pretty:
 * `[12:03:04.567] INFO: youtube-retriever [yt_abc_audio] fetching {"url":"…"}`. pino-pretty's formatter is
 * called synchronously in this thread (not as a worker transport) so that nothing logged just before an
 * exit or a crash is lost, as with the JSON destination. One event is one line whatever it holds: the
 * fields printed as they are lose their control characters (oneLine), and `err`, which pino-pretty would
 * print on lines of its own, is shown with the other details.
 */
export function prettyDestination(sink: LineSink, colorize: boolean): LineSink {
  const pinoPretty = require('pino-pretty') as typeof PinoPretty;
  const prettify = pinoPretty.prettyFactory({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name,service,job_id',
    messageFormat: '{service}{if job_id} [{job_id}]{end} {msg}',
    singleLine: true,
    errorLikeObjectKeys: [],
  });
  return {
    write(chunk) {
      // pino hands over whole lines, one per event.
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(chunk) as Record<string, unknown>;
      } catch {
        return sink.write(prettify(chunk));
      }
      for (const key of SHOWN_RAW) {
        const value = event[key];
        if (typeof value === 'string') event[key] = oneLine(value);
      }
      return sink.write(prettify(event));
    },
  };
}

/** Colours only on a terminal that wants them (https://no-color.org, TERM=dumb). */
export function wantsColor(destinationIsTty: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return destinationIsTty && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}
