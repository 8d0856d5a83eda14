import { Option, type Command } from 'commander';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes its own argument list
type Action = (...args: any[]) => void | Promise<void>;

/** Every verb takes `--root DIR` (or IMK_ROOT) locating queues/, outputs/ and config/. */
export function withRoot(command: Command): Command {
  return command.addOption(
    new Option(
      '--root <dir>',
      'folder holding queues/, outputs/ and config/ (default: $IMK_ROOT or the current folder)',
    ),
  );
}

/**
 * A group's sub-command (`imk queue ls`, `imk ledger rebuild`; the group takes `--root` too, through withRoot):
 * its action, given the group's `--root` (`imk queue --root DIR ls`) when it was not given its own.
 */
export function groupRootAction(action: Action): Action {
  return (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = args.at(-2) as { root?: string };
    const groupRoot = command.parent?.opts<{ root?: string }>().root;
    if (options.root === undefined && groupRoot !== undefined) options.root = groupRoot;
    return action(...args);
  };
}
