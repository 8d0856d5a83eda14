// The command-line options of the tuning tools (fit-fusion.ts, tune-gm.ts), read strictly with node's
// parseArgs: an option the tool does not know, or a value that is not what the option takes, is an error
// naming the option. (A misspelt option, or `--fit-songs abc`, used to give a different run without a word.)
import { parseArgs } from 'node:util';

type OptionTypes = Record<string, { type: 'string' | 'boolean' }>;

/** Parses process.argv strictly; `positionals` says how many plain arguments the tool takes. */
export function readOptions<T extends OptionTypes>(options: T, positionals = 0) {
  const parsed = parseArgs({ options, strict: true, allowPositionals: positionals > 0 });
  if (parsed.positionals.length > positionals)
    throw new Error(`unexpected argument "${parsed.positionals[positionals]}"`);
  return parsed;
}

/** A whole number ≥ 0 (a count of songs), or `fallback` when the option was not given. */
export function wholeNumber(name: string, text: string | undefined, fallback: number): number;
export function wholeNumber(name: string, text: string | undefined): number | undefined;
export function wholeNumber(name: string, text: string | undefined, fallback?: number): number | undefined {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new Error(`--${name}: "${text}" is not a whole number`);
  return Number(text);
}

/** A whole number, negative or not (semitones), or undefined when the option was not given. */
export function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[-+]?\d+$/.test(text)) throw new Error(`--${name}: "${text}" is not a whole number`);
  return Number(text);
}

/** A number > 0 (seconds, a penalty), or `fallback` when the option was not given. */
export function positiveNumber(name: string, text: string | undefined, fallback: number): number;
export function positiveNumber(name: string, text: string | undefined): number | undefined;
export function positiveNumber(
  name: string,
  text: string | undefined,
  fallback?: number,
): number | undefined {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0)
    throw new Error(`--${name}: "${text}" is not a number above 0`);
  return value;
}

/** A JSON value, or undefined when the option was not given. */
export function jsonOption<T>(name: string, text: string | undefined): T | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`--${name}: not JSON (${(error as Error).message})`);
  }
}

/** One of `choices`, or `fallback` when the option was not given. */
export function oneOf<C extends string>(
  name: string,
  text: string | undefined,
  choices: C[],
  fallback: C,
): C {
  if (text === undefined) return fallback;
  if (!(choices as string[]).includes(text))
    throw new Error(`--${name}: "${text}" is not one of ${choices.join(', ')}`);
  return text as C;
}
