import { errorMessage } from '@imk/errors';
import { resolveTool } from '@imk/tools';
import { RcloneOptionsSchema } from '../backends/rclone.ts';
import { RsyncOptionsSchema } from '../backends/rsync-options.ts';
import { syncError } from '../errors.ts';

/** Gives the path of a program a backend runs (resolved once, on first use). */
export type Program = () => Promise<string>;

/**
 * A backend's program (`rsyncBinary`, `sshBinary`, `rcloneBinary`), found through @imk/tools exactly as
 * `imk doctor` finds it: a configured path, else `IMK_<TOOL>`, else PATH. So a doctor that passes means
 * the sync runs the same file. Not found: TOOL_MISSING (final), with the resolver's install hint. A failed
 * lookup is not kept: installing the tool while the service runs is enough.
 */
export function syncProgram(
  tool: string,
  configured: string,
  where: string,
  env: NodeJS.ProcessEnv | undefined,
): Program {
  let found: Promise<string> | undefined;
  return () => {
    found ??= resolveTool(tool, {
      configured,
      configuredIn: `${where} in config/nas-sync.yaml`,
      ...(env !== undefined && { env }),
    }).catch((error: unknown) => {
      found = undefined;
      throw syncError('TOOL_MISSING', `${where}: ${errorMessage(error)}`, { cause: error });
    });
    return found;
  };
}

/** One program a configured backend runs on this host. */
export interface BackendProgram {
  tool: 'rsync' | 'ssh' | 'rclone';
  /** The backend's setting (`rsyncBinary`, …): a name or a path. */
  configured: string;
  /** The setting's name, for messages. */
  field: string;
}

const RSYNC = {
  rsyncBinary: () => RsyncOptionsSchema.shape.rsyncBinary,
  sshBinary: () => RsyncOptionsSchema.shape.sshBinary,
};

/** What a backend runs, with its schema's defaults applied: the same list the backend itself resolves. */
export function backendPrograms(options: {
  type: string;
  host?: string | undefined;
  rsyncBinary?: string;
  sshBinary?: string;
  rcloneBinary?: string;
}): BackendProgram[] {
  if (options.type === 'rsync')
    return [
      { tool: 'rsync', configured: RSYNC.rsyncBinary().parse(options.rsyncBinary), field: 'rsyncBinary' },
      ...(options.host === undefined
        ? []
        : [
            {
              tool: 'ssh' as const,
              configured: RSYNC.sshBinary().parse(options.sshBinary),
              field: 'sshBinary',
            },
          ]),
    ];
  if (options.type === 'rclone')
    return [
      {
        tool: 'rclone',
        configured: RcloneOptionsSchema.shape.rcloneBinary.parse(options.rcloneBinary),
        field: 'rcloneBinary',
      },
    ];
  return [];
}
