export { createLogger, REDACTED_KEYS } from './logger.ts';
export type { Logger, CreateLoggerOptions } from './logger.ts';
export { isSecretName, isSecretPath, REDACTED, redactText, redactValue, urlForLog } from './redact.ts';
export {
  chooseLogFormat,
  isLogFormat,
  LOG_FORMATS,
  LOG_FORMAT_ENV,
  oneLine,
  terminalText,
} from './format.ts';
export type { LogFormat } from './format.ts';
export { formatBytes } from './bytes.ts';
