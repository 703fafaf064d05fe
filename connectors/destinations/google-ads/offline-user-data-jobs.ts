import { configError } from '../../../domain/errors';
import type { ConnectorContext } from '../../types';
import type { GoogleAdsDestinationConfig } from './config';
import type { Member } from './members';

/** The OfflineUserDataJobs path (google-ads-api), for allowlisted accounts. */
export async function connectOfflineUserDataJobs(_config: GoogleAdsDestinationConfig, _ctx: ConnectorContext): Promise<{ send(list: string, members: Member[], remove: boolean): Promise<Map<number, string>>; check(list: string): Promise<void>; close(): Promise<void> }> {
  throw configError('api: offline-user-data-jobs is not available yet; use api: datamanager', { path: 'connection.api' });
}
