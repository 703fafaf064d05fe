import type { ConnectorContext } from '../connectors/types';
import type { StateStore } from '../state/store';

/** What the worker hands the activities: real dependencies in production, test ones in tests. */
export interface ActivityDeps {
  store: StateStore;
  /** Folder of spec files, for syncs started by name. */
  syncsDir: string;
  connectorContext: ConnectorContext;
}
