import { createHash } from 'node:crypto';

// The rule of docs/retrievers.md, written out again on its own: a link-named entry's key is
// `<name>-<first 10 hex digits of the sha256 of its link>`, its job id `yt_<extractor>.<key>_<kind>`.
export const linkKey = (name: string, link: string): string =>
  `${name}-${createHash('sha256').update(link).digest('hex').slice(0, 10)}`;

export const linkJobId = (extractor: string, name: string, link: string, kind: string): string =>
  `yt_${extractor}.${linkKey(name, link)}_${kind}`;
