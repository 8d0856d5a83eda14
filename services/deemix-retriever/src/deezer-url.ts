import { ImkError, orList } from '@imk/errors';
import { parseHttpUrl } from '@imk/retriever-sdk';
import { DEEZER_KINDS, type DeezerKind } from './deezer-kinds.ts';

export { DEEZER_KINDS, type DeezerKind };

// m.deezer.com: the links Deezer's mobile site gave (and some phones still share); the same paths.
const HOSTS = new Set(['deezer.com', 'www.deezer.com', 'm.deezer.com']);
/** A host as compared: lower case, without the trailing dot of a fully qualified name (`www.deezer.com.`). */
const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/\.$/, '');
// Share links (https://deezer.page.link/…, https://link.deezer.com/…) redirect to one of the above; deemix follows them.
const SHORT_HOSTS = new Set(['deezer.page.link', 'dzr.page.link', 'link.deezer.com']);
const PATH = /^\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?(track|album|playlist)\/(\d+)\/?$/i;
// A track, album or playlist link whose id was cut or mistyped (`/track/31355x6`, `/album/`): said as such.
const KIND_ONLY = /^\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?(track|album|playlist)(?:\/([^/]*))?\/?$/i;

export interface DeezerLink {
  url: string;
  /** Undefined for share links, whose kind deemix learns by following them. */
  kind: DeezerKind | undefined;
  id: string | undefined;
}

/** Whether a URL is a Deezer link at all (then this retriever takes it, and explains if it cannot). */
export function isDeezerUrl(url: URL): boolean {
  return HOSTS.has(hostOf(url)) || SHORT_HOSTS.has(hostOf(url));
}

/** A Deezer track, album or playlist link, or a clear error for anything else. */
export function parseDeezerUrl(text: string): DeezerLink {
  const url = parseHttpUrl(text);
  const host = hostOf(url);
  if (SHORT_HOSTS.has(host)) return { url: url.href, kind: undefined, id: undefined };
  if (!HOSTS.has(host))
    throw new ImkError(
      'UNSUPPORTED_URL',
      `${url.href} is not a Deezer link; give a https://www.deezer.com/track/…, /album/… or /playlist/… link`,
    );
  const match = PATH.exec(url.pathname);
  const kindOnly = KIND_ONLY.exec(url.pathname);
  if (!match && kindOnly) {
    const kind = kindOnly[1]!.toLowerCase();
    const id = kindOnly[2] ?? '';
    const what =
      id === '' ? `has no id (the number after /${kind}/)` : `has "${id}" where its id (a number) goes`;
    throw new ImkError(
      'UNSUPPORTED_URL',
      `${url.href} is a Deezer ${kind} link that ${what}; copy the link again from Deezer (Share, then Copy link)`,
    );
  }
  if (!match)
    throw new ImkError(
      'UNSUPPORTED_URL',
      `${url.href} is a Deezer link but not a ${orList(DEEZER_KINDS)}; open the ${orList(DEEZER_KINDS)} and copy its link`,
    );
  const kind = match[1]!.toLowerCase() as DeezerKind;
  const id = match[2]!;
  // A canonical link without query or tracking parameters is what deemix is given.
  return { url: `https://www.deezer.com/${kind}/${id}`, kind, id };
}
