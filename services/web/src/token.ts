import { fileSecret, isSecretProblem, secretText } from '@imk/config';
import { fileReadProblem } from '@imk/fs-safe';
import { resolve } from 'node:path';
import { ImkError } from '@imk/errors';
import { isLoopbackHost } from '@imk/http-guard';
import type { WebConfig } from './config.ts';
import './errors.ts';

/**
 * The token in force: `token`, else the content of `tokenFile` (relative to the root, like every path in
 * the config). Off loopback a token is required and start-up is refused without one, so a dashboard is
 * never exposed to a network unprotected. Errors never show the token, even a too-short one.
 */
export async function resolveToken(config: WebConfig, root: string): Promise<string | undefined> {
  // web.token is mostly set as IMK_WEB__TOKEN, often from a file (a Kubernetes secret): the one secret rule
  // drops its final line break, without which nobody could ever type the token that matches.
  let token = config.token === undefined ? undefined : secretText(config.token, 'web.token (IMK_WEB__TOKEN)');
  if (token === undefined && config.tokenFile !== undefined) {
    try {
      token = await fileSecret(resolve(root, config.tokenFile));
    } catch (error) {
      if (!isSecretProblem(error) || error.code !== 'SECRET_MISSING') throw error;
      throw new ImkError(
        'WEB_TOKEN_FILE',
        `cannot read the web token file ${config.tokenFile}: ${fileReadProblem(error.cause)}`,
        { cause: error },
      );
    }
    if (token.length < 16)
      throw new ImkError(
        'WEB_TOKEN_WEAK',
        `the token in ${config.tokenFile} is shorter than 16 characters; use e.g. \`openssl rand -hex 24\``,
      );
  }
  if (token === undefined && !isLoopbackHost(config.host))
    throw new ImkError(
      'WEB_TOKEN_REQUIRED',
      `the dashboard is set to listen on ${config.host}, which is reachable from other machines, and no token is set; ` +
        'set IMK_WEB__TOKEN (e.g. `export IMK_WEB__TOKEN=$(openssl rand -hex 24)`) or web.tokenFile, or listen on 127.0.0.1',
    );
  return token;
}
