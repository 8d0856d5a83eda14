import { Parser } from 'yaml';
import type { CST } from 'yaml';

/**
 * The deepest nesting of collections (block and flow mappings and sequences) in YAML text, stopping early
 * past `limit`. Counted on yaml's concrete syntax tree, which its lexer and parser build without recursion,
 * and walked here without recursion too, before the text is composed: composing is recursive, and
 * `- - - - …` (two bytes a level, so 30,000 levels in a 64 KB sidecar) overflowed its stack. A stack
 * overflow is caught as a parse error, but a few of them in one process left V8 unable to compile a regular
 * expression: the worker died ("FATAL ERROR: RegExpCompiler Allocation failed") on the third or fourth such
 * file. Nesting of `[` and `{` alone (JSON's measure) does not see block nesting.
 */
export function yamlDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let deepest = 0;
  const pending: [CST.Token, number][] = [];
  for (const token of new Parser().parse(text)) pending.push([token, 0]);
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [token, depth] = next;
    if (token.type === 'document') {
      if (token.value !== undefined) pending.push([token.value, depth]);
      continue;
    }
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection')
      continue;
    const inside = depth + 1;
    if (inside > deepest) {
      deepest = inside;
      if (deepest > limit) return deepest;
    }
    for (const item of token.items) {
      if (item.key) pending.push([item.key, inside]);
      if (item.value) pending.push([item.value, inside]);
    }
  }
  return deepest;
}
