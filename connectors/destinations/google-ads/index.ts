/**
 * The `google-ads` destination: Customer Match audiences (and suppression lists). `object` is
 * the user list id; upserts and inserts add members, deletes (mirror mode) remove them.
 * Identifiers are normalized and hashed as Google specifies (./normalize.ts); consent comes from
 * the model (./members.ts). Membership cannot be read back, so there is no readBack: canary
 * read-back and rollback before-images are not available for audiences.
 */
import type { Destination, DestinationConnector } from '../../types';
import { googleAdsDestinationConfigSchema, type GoogleAdsDestinationConfig } from './config';
import { MEMBER_FIELDS } from './members';
import { writeBatch, type MembershipApi } from './write';

/** The `google-ads` destination connector. */
export const googleAdsDestination: DestinationConnector<GoogleAdsDestinationConfig> = {
  kind: 'google-ads',
  configSchema: googleAdsDestinationConfigSchema,
  modes: ['upsert', 'insert', 'mirror'],
  create(config, ctx): Destination {
    let api: Promise<MembershipApi & { close(): Promise<void>; check(list: string): Promise<void> }> | undefined;
    const connect = () => {
      // The client libraries load on first use: google-ads-api alone weighs ~200 MB, which a worker
      // with no Google Ads destination should not carry.
      api ??=
        config.api === 'datamanager'
          ? import('./data-manager.js').then((m) => m.connectDataManager(config, ctx))
          : import('./offline-user-data-jobs.js').then((m) => m.connectOfflineUserDataJobs(config, ctx));
      api.catch(() => (api = undefined));
      return api;
    };
    let closed = false;
    return {
      check: async (list) => (await connect()).check(list),
      // A user list has no schema: these are the fields the connector reads from the mapping.
      describe: async (object) => ({
        object,
        fields: MEMBER_FIELDS.map((name) => ({ name, type: 'string', identifier: name === 'email' || name === 'phone' })),
      }),
      async write(batch) {
        if (batch.records.length === 0) return { results: [] };
        return writeBatch(await connect(), batch, config.phoneRegion);
      },
      async close() {
        if (closed) return;
        closed = true;
        await (await api?.catch(() => undefined))?.close();
      },
    };
  },
};

export type { GoogleAdsDestinationConfig } from './config';
