import { pino, type Logger } from 'pino';
import {
  LOG_FORMATS,
  LOG_FORMAT_ENV,
  chooseLogFormat,
  prettyDestination,
  wantsColor,
  type LineSink,
  type LogFormat,
} from './format.ts';
import { redactValue } from './redact.ts';

export type { Logger };

/**
 * Keys whose values never reach a log. Kept for callers that list them; the logger itself hides every
 * secret-named key (isSecretName) at any depth, and credentials inside URLs and messages (redactText).
 */
export const REDACTED_KEYS = [
  'arl',
  'token',
  'password',
  'passphrase',
  'privateKey',
  'secretAccessKey',
  'accessKeyId',
  'authorization',
  'cookie',
];

export interface CreateLoggerOptions {
  /** @default process.env.IMK_LOG_LEVEL ?? defaultLevel */
  level?: string;
  /** The level when neither `level` nor a valid $IMK_LOG_LEVEL says one. @default DEFAULT_LOG_LEVEL */
  defaultLevel?: string;
  /** Where JSON lines go. @default stderr, so that stdout stays for a command's own output */
  destination?: NodeJS.WritableStream;
  /**
   * json or pretty. Unset: for stderr, $IMK_LOG_FORMAT, else pretty on a terminal, else json; for a given destination, json.
   */
  format?: LogFormat;
}

/**
 * Every argument of a log call passes through the redaction before pino sees it: objects lose their
 * secret-named values, strings (the message, an error text, a URL) their credentials.
 */
function redactArgs(args: unknown[]): unknown[] {
  return args.map((arg) => redactValue(arg));
}

/**
 * A JSON line with each key once. pino writes a child's bindings after its parent's and a call's fields
 * after both, as they come: a child that binds a key again (`component` "sync-engine", then its child
 * "sync-transfer"), or a call naming a bound key (`imk up`'s supervisor logging `{ service: name }` under
 * the base `service`), gave lines with the key twice, of which jq and most readers keep only the last.
 * Each key now appears once, where it first did, with the innermost (last) value: what those readers
 * showed. pino hands over whole lines, one per event; anything else passes unchanged.
 */
function keysOnce(line: string): string {
  if (!line.startsWith('{')) return line;
  try {
    return `${JSON.stringify(JSON.parse(line))}\n`;
  } catch {
    return line;
  }
}

function eachKeyOnce(sink: LineSink): LineSink {
  return { write: (chunk: string) => sink.write(keysOnce(chunk)) };
}

/** The one root logger of a service; libraries get `logger.child({ component })` and never make their own. */
export function createLogger(service: string, options: CreateLoggerOptions = {}): Logger {
  const fromEnv = envLevel(options.defaultLevel ?? DEFAULT_LOG_LEVEL);
  const level = options.level ?? fromEnv.level;
  // Written synchronously, as Node writes stderr to a pipe or file: a line logged just before the process
  // ends by a signal (imk up and imk separate stopped mid-run of a model) was dropped on its way.
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  // A destination handed in by code (a test's stream) gets JSON unless the code asks otherwise; the
  // environment and the terminal choose only for stderr.
  const isTty = options.destination === undefined && process.stderr.isTTY === true;
  const choice =
    options.destination === undefined
      ? chooseLogFormat(options.format, isTty)
      : { format: options.format ?? 'json', invalidEnv: undefined };
  const sink =
    choice.format === 'pretty' ? prettyDestination(destination, wantsColor(isTty)) : eachKeyOnce(destination);
  const logger = pino(
    {
      name: service,
      level,
      base: { service },
      hooks: {
        logMethod(args, method) {
          method.apply(this, redactArgs(args) as Parameters<typeof method>);
        },
      },
    },
    sink,
  );
  // A child's bindings (logger.child({ url })) are redacted when the child is made. Children are created
  // from their parent's prototype, so this one override serves every descendant.
  // Taken unbound on purpose: it is called with each parent as `this`.
  type ChildFn = (this: unknown, bindings: pino.Bindings, options?: object) => unknown;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const child = logger.child as unknown as ChildFn;
  const redacting: ChildFn = function (this: unknown, bindings, childOptions) {
    return child.call(this, redactValue(bindings) as pino.Bindings, childOptions);
  };
  logger.child = redacting as unknown as Logger['child'];
  // Said once per process: `imk up` makes a logger per service, and each said it again.
  if (choice.invalidEnv !== undefined && !formatsWarnedOf.has(choice.invalidEnv)) {
    formatsWarnedOf.add(choice.invalidEnv);
    logger.warn(
      `${LOG_FORMAT_ENV}=${choice.invalidEnv} is not a log format: write ${LOG_FORMATS.join(' or ')}; ignored (${choice.format} chosen)`,
    );
  }
  if (options.level === undefined && fromEnv.invalid !== undefined && !levelsWarnedOf.has(fromEnv.invalid)) {
    levelsWarnedOf.add(fromEnv.invalid);
    logger.warn(
      `IMK_LOG_LEVEL=${fromEnv.invalid} is not a log level: write ${LOG_LEVELS.join(', ')}; ignored (${level} chosen)`,
    );
  }
  return logger;
}

/** The invalid $IMK_LOG_FORMAT values this process has warned of. */
const formatsWarnedOf = new Set<string>();

/** The level of a logger when nothing chooses another. */
const DEFAULT_LOG_LEVEL = 'info';

/** The levels $IMK_LOG_LEVEL takes (pino's), quietest last. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** The earlier version's LOG_LEVEL words (Python's logging) that name one of ours another way. */
const LEVEL_ALIASES: Readonly<Record<string, string>> = { warning: 'warn', critical: 'fatal' };
/** The invalid $IMK_LOG_LEVEL values this process has warned of. */
const levelsWarnedOf = new Set<string>();

/**
 * $IMK_LOG_LEVEL as a level, in any case (`INFO`, as the earlier version's LOG_LEVEL was written; `WARNING`);
 * else `fallback`, with the value that is no level. An unknown one was handed to pino as it was, which threw
 * "default level:verbose must be included in custom levels": `imk up` did not start, without naming the
 * variable. It is ignored now, and said once.
 */
function envLevel(fallback: string): { level: string; invalid?: string } {
  const raw = process.env.IMK_LOG_LEVEL;
  const value = raw?.trim().toLowerCase() ?? '';
  if (raw === undefined || value === '') return { level: fallback };
  const level = LEVEL_ALIASES[value] ?? value;
  if ((LOG_LEVELS as readonly string[]).includes(level)) return { level };
  return { level: fallback, invalid: raw };
}
