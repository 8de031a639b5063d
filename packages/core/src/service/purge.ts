// Housekeeping: deleting intermediate sessions, member sessions and pending registrations that can never be used
// again, so a long-running deployment's tables do not grow forever. Run it on a timer (the reference server does).

import type { PurgeCounts } from '../domain/repository';
import type { ServiceContext } from './context';

/** A day: long enough that a member who comes back to an expired registration still hears `expired_totp`. */
export const DEFAULT_PURGE_GRACE_MINUTES = 1440;

/**
 * Purges what expired (or was revoked) more than `graceMinutes` ago (0..525600, default 1440).
 * @throws RangeError for a grace outside that range.
 */
export async function purgeExpired(context: ServiceContext, options: { graceMinutes?: number } = {}): Promise<PurgeCounts> {
  const graceMinutes = options.graceMinutes ?? DEFAULT_PURGE_GRACE_MINUTES;
  if (!Number.isInteger(graceMinutes) || graceMinutes < 0 || graceMinutes > 525_600) {
    throw new RangeError(`purgeExpired: graceMinutes must be an integer from 0 to 525600, got ${String(graceMinutes)}`);
  }
  return context.repository.purgeExpired(new Date(context.clock() - graceMinutes * 60_000));
}
