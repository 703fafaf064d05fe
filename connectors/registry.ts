import type { DestinationConnector, SourceConnector } from './types';
import { duckdbSource } from './sources/duckdb';
import { postgresSource } from './sources/postgres';
import { bigquerySource } from './sources/bigquery';
import { redshiftSource } from './sources/redshift';
import { databricksSource } from './sources/databricks';
import { snowflakeSource } from './sources/snowflake';
import { postgresDestination } from './destinations/postgres';
import { webhookDestination } from './destinations/webhook';
import { fileDestination } from './destinations/file';
import { hubspotDestination } from './destinations/hubspot';
import { salesforceDestination } from './destinations/salesforce';
import { googleAdsDestination } from './destinations/google-ads';

/**
 * Every connector ebb ships, by kind. Adding a connector: copy a folder, pass the
 * conformance suite, add it here.
 */
export const sourceConnectors: Record<string, SourceConnector<never>> = {
  duckdb: duckdbSource as SourceConnector<never>,
  postgres: postgresSource as SourceConnector<never>,
  bigquery: bigquerySource as SourceConnector<never>,
  redshift: redshiftSource as SourceConnector<never>,
  databricks: databricksSource as SourceConnector<never>,
  snowflake: snowflakeSource as SourceConnector<never>,
};

export const destinationConnectors: Record<string, DestinationConnector<never>> = {
  postgres: postgresDestination as DestinationConnector<never>,
  webhook: webhookDestination as DestinationConnector<never>,
  file: fileDestination as DestinationConnector<never>,
  hubspot: hubspotDestination as DestinationConnector<never>,
  salesforce: salesforceDestination as DestinationConnector<never>,
  'google-ads': googleAdsDestination as DestinationConnector<never>,
};
