import { z } from 'zod';
import { syncSpecSchema } from '../domain/spec/schema';
import { destinationConnectors, sourceConnectors } from './registry';
import type { DestinationConnector, SourceConnector } from './types';

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of sync specs, for editors: the spec schema itself, plus, for each connector
 * kind, its `connection` schema (chosen by `kind` with if/then), so editors complete and check
 * connector settings too. Generated from the same zod schemas that validate specs at run time.
 */
export function specJsonSchema(): JsonSchema {
  const schema = z.toJSONSchema(syncSpecSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const props = schema.properties as Record<string, JsonSchema>;
  props.source = { ...props.source, allOf: byKind(sourceConnectors) };
  const items = (props.destinations as { items: JsonSchema }).items;
  items.allOf = byKind(destinationConnectors);
  items.properties = { ...(items.properties as JsonSchema), kind: { ...((items.properties as Record<string, JsonSchema>).kind ?? {}), enum: Object.keys(destinationConnectors) } };
  (props.source.properties as Record<string, JsonSchema>).kind = { type: 'string', enum: Object.keys(sourceConnectors) };
  return { ...schema, title: 'ebb sync spec' };
}

function byKind(connectors: Record<string, SourceConnector<never> | DestinationConnector<never>>): JsonSchema[] {
  return Object.entries(connectors).map(([kind, c]) => {
    const { $schema: _drop, ...connection } = z.toJSONSchema(c.configSchema as z.ZodType, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    return { if: { properties: { kind: { const: kind } }, required: ['kind'] }, then: { properties: { connection } } };
  });
}
