import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { JobIdSchema } from '@imk/protocol';
import { parseVariantList } from '@imk/separation';
import { examplesOf } from '../src/commands/examples.ts';
import { createProgram } from '../src/main.ts';

// Every "Examples:" line of a command's --help is a command line that command takes: parsed here by the
// commands' own definitions (an option it does not have, a missing argument or a value outside its choices
// fails), with each --variants list read by the grammar `imk separate` reads it with and each job id checked.
const commandsOf = (command: Command): Command[] => [
  command,
  ...command.commands.flatMap((sub) => commandsOf(sub)),
];
const pathOf = (command: Command): string =>
  command.parent ? `${pathOf(command.parent)} ${command.name()}`.trim() : '';

/** A command line split as a shell would: words, and "quoted words" as one. */
const words = (line: string): string[] =>
  [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');

const examples = commandsOf(createProgram()).flatMap((command) =>
  examplesOf(command).map((line) => ({ verb: pathOf(command), line })),
);

describe("the commands' help examples", () => {
  it('are given for the verbs a musician starts with', () => {
    expect(new Set(examples.map((e) => e.verb))).toEqual(
      new Set(['separate', 'enqueue', 'fetch', 'cancel', 'retry', 'jobs', 'job', 'sync', 'migrate', 'up']),
    );
  });

  it.each(examples)('$verb: "$line" is a command line imk takes', async ({ line }) => {
    const program = createProgram();
    let ran: { command: string; options: Record<string, unknown>; args: unknown[] } | undefined;
    for (const command of commandsOf(program))
      command
        .exitOverride()
        .configureOutput({ writeErr: () => {}, writeOut: () => {} })
        .action((...args: unknown[]) => {
          const self = args.at(-1) as Command;
          ran = { command: pathOf(self), options: self.opts(), args: args.slice(0, -2) };
        });
    const [imk, ...argv] = words(line);
    expect(imk).toBe('imk');
    await program.parseAsync(argv, { from: 'user' });
    expect(ran?.command, 'the example runs a command').toBeDefined();
    const variants = ran?.options.variants;
    if (typeof variants === 'string') expect(() => parseVariantList(variants)).not.toThrow();
    for (const arg of ran?.args ?? [])
      if (typeof arg === 'string' && /^yt_/.test(arg))
        expect(JobIdSchema.safeParse(arg).success, arg).toBe(true);
  });
});
