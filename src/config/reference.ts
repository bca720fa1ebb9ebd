/**
 * The configuration reference in the README, rendered from the schema's own descriptions and
 * defaults (zod's JSON Schema export, input side), so the documentation cannot drift from the
 * check: test/intake/config-reference.test.ts compares the README's table with this output.
 * Must never: describe a key the schema does not accept.
 */
import { z } from 'zod';
import { configSchema } from './schema.ts';

interface JsonNode {
  description?: string;
  default?: unknown;
  type?: string | string[];
  properties?: Record<string, JsonNode>;
  required?: string[];
  items?: JsonNode;
  additionalProperties?: JsonNode | boolean;
  enum?: unknown[];
  anyOf?: JsonNode[];
  allOf?: JsonNode[];
}

function defaultText(node: JsonNode): string {
  const d = node.default;
  if (Array.isArray(d)) return d.length === 0 ? '`[]`' : `\`[${d.map(String).join(', ')}]\``;
  if (typeof d === 'string' || typeof d === 'number' || typeof d === 'boolean') return `\`${String(d)}\``;
  return '';
}

function rows(node: JsonNode, prefix: string, out: string[]): void {
  const props = node.properties;
  if (props === undefined) return;
  for (const [key, child] of Object.entries(props)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    const desc = (child.description ?? '').replace(/\|/g, '\\|');
    const def = node.required?.includes(key) === true ? 'required' : defaultText(child);
    out.push(`| \`${path}\` | ${def} | ${desc} |`);
    const extra = child.additionalProperties;
    if (child.properties !== undefined) rows(child, path, out);
    else if (child.items?.properties !== undefined) rows(child.items, `${path}[]`, out);
    else if (typeof extra === 'object' && extra.properties !== undefined) rows(extra, `${path}.DOMAIN`, out);
  }
}

/** A Markdown table `| key | default | meaning |` of every key of the configuration file. */
export function renderConfigReference(): string {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
  const out = ['| key | default | meaning |', '|---|---|---|'];
  rows(schema, '', out);
  return out.join('\n') + '\n';
}
