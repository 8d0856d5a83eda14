import { z } from 'zod';
import { markdownCell } from '@imk/protocol';
import { BuiltinParamsSchema } from './params.ts';

interface ParamNode {
  type?: string;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}

/** What a parameter accepts, in words, from its JSON Schema (the checks zod can say there). */
function allowed(node: ParamNode): string {
  const parts = [node.type === 'integer' ? 'integer' : 'number'];
  if (node.exclusiveMinimum !== undefined) parts.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined && node.minimum > Number.MIN_SAFE_INTEGER) parts.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${node.maximum}`);
  return parts.join(', ');
}

/** The Markdown table of the builtin engine's parameters, generated from BuiltinParamsSchema. */
export function builtinParamsTable(): string {
  const root = z.toJSONSchema(BuiltinParamsSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, ParamNode>;
  };
  const lines = ['| parameter | default | allowed | meaning |', '|---|---|---|---|'];
  for (const [name, node] of Object.entries(root.properties))
    lines.push(
      `| \`${name}\` | \`${JSON.stringify(node.default)}\` | ${allowed(node)} | ${markdownCell(node.description ?? '')} |`,
    );
  return lines.join('\n');
}

/** Replaces the `<!-- builtin-params -->` … `<!-- /builtin-params -->` block of a Markdown text with the current table. */
export function replaceBuiltinParamsTable(markdown: string): string {
  return markdown.replace(
    /<!-- builtin-params -->[\s\S]*?<!-- \/builtin-params -->/g,
    () => `<!-- builtin-params -->\n${builtinParamsTable()}\n<!-- /builtin-params -->`,
  );
}
