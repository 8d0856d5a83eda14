/** A command's action as commander calls it: the arguments, then the options, then the command. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes its own argument list
type Action = (...args: any[]) => void | Promise<void>;

/**
 * An action whose module (and every package it needs) is imported only when its command runs: `imk` then
 * registers all commands, parses and prints help without loading the packages of the other commands.
 */
export function lazyAction(load: () => Promise<Action>): Action {
  return async (...args: unknown[]) => {
    const action = await load();
    await action(...args);
  };
}
