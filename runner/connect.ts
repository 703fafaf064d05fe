import { configError } from '../domain/errors';
import type { DestinationSpec, SourceSpec } from '../domain/spec/schema';
import { destinationConnectors, sourceConnectors } from '../connectors/registry';
import type { ConnectorContext, Destination, Source } from '../connectors/types';

/** Opens the source a spec names. The spec was validated, so a bad config here is a bug upstream. */
export function openSource(spec: SourceSpec, ctx: ConnectorContext): Source {
  const connector = sourceConnectors[spec.kind];
  if (!connector) throw configError(`unknown source kind "${spec.kind}"`, { path: 'source.kind' });
  return connector.create(connector.configSchema.parse(spec.connection), ctx);
}

/** Opens one destination of a spec. */
export function openDestination(spec: DestinationSpec, ctx: ConnectorContext): Destination {
  const connector = destinationConnectors[spec.kind];
  if (!connector) throw configError(`unknown destination kind "${spec.kind}"`, { destination: spec.name, path: 'kind' });
  return connector.create(connector.configSchema.parse(spec.connection), ctx);
}

/** Runs `fn` with a resource and always closes it. */
export async function using<R extends { close(): Promise<void> }, T>(resource: R, fn: (r: R) => Promise<T>): Promise<T> {
  try {
    return await fn(resource);
  } finally {
    await resource.close().catch(() => undefined);
  }
}
