// How the repository's calls reach the database: one at a time per client on SQLite, errors translated (store-errors.ts),
// and interactive transactions whose first statement locks the row they are about, so none ever upgrades a read lock.

import type { TotpRepository } from '@totp/core';
import type { PrismaProvider, TotpMemberRow, TotpPrismaClient, TotpPrismaDelegates, TotpTransactionOptions } from './client-shape';
import { createSerialQueue, type SerialQueue } from './internal/serial-queue';
import type { SqlNames } from './names';
import { isTransientConflict, isUniqueViolation, translateStoreError } from './store-errors';

export type MfaAttemptMethods = Pick<TotpRepository, 'beginMfaAttempt' | 'grantMfaSession'>;

export interface Store {
  prisma: TotpPrismaClient;
  provider: PrismaProvider;
  /** Where the tables are, for the PostgreSQL statements. */
  names: SqlNames;
  /** One repository call: queued on SQLite, its errors translated and named after `method`. */
  run<T>(method: string, body: () => Promise<T>): Promise<T>;
  transaction<T>(fn: (tx: TotpPrismaDelegates) => Promise<T>): Promise<T>;
  /**
   * A SERIALIZABLE transaction, made again (a few times) when the database aborts it for a concurrent one or a unique
   * index refuses its write: for a rule across rows that no index enforces, checked by a read and kept by the write.
   */
  serializable<T>(fn: (tx: TotpPrismaDelegates) => Promise<T>): Promise<T>;
}

// A SQLite driver adapter holds one connection per client, and a query sent while an interactive transaction is open
// runs inside it (and is rolled back with it): every repository over one client shares one queue.
const sqliteQueues = new WeakMap<object, SerialQueue>();

export function createStore(prisma: TotpPrismaClient, provider: PrismaProvider, names: SqlNames, options: TotpTransactionOptions): Store {
  let queue: SerialQueue | undefined;
  if (provider === 'sqlite') {
    queue = sqliteQueues.get(prisma) ?? createSerialQueue();
    sqliteQueues.set(prisma, queue);
  }
  const transaction = <T>(fn: (tx: TotpPrismaDelegates) => Promise<T>, isolationLevel?: string): Promise<T> =>
    Promise.resolve(prisma.$transaction(fn, isolationLevel === undefined ? options : { ...options, isolationLevel }));
  return {
    prisma,
    provider,
    names,
    run(method, body) {
      const guarded = () => body().catch((error: unknown) => Promise.reject(translateStoreError(method, error)));
      return queue === undefined ? guarded() : queue.run(guarded);
    },
    transaction,
    async serializable(fn) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await transaction(fn, 'Serializable');
        } catch (error) {
          if (attempt >= 5 || !(isTransientConflict(error) || isUniqueViolation(error))) throw error;
        }
      }
    },
  };
}

/**
 * The member's row, locked for the rest of the transaction: a write that changes nothing, returning the row. On
 * PostgreSQL it holds the row lock until commit; on SQLite it takes the database's write lock at once. Transactions
 * about a member lock it first, then its registrations, then their codes, and so cannot deadlock one another.
 */
export async function lockMember(tx: TotpPrismaDelegates, organizationId: string, memberId: string): Promise<TotpMemberRow | undefined> {
  const [row] = await tx.totpMember.updateManyAndReturn({
    where: { organizationId, memberId },
    data: { failedMfaAttempts: { increment: 0 } },
  });
  return row;
}
