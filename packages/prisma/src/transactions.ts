// How the repository's calls reach the database: one at a time per client on SQLite, errors translated (store-errors.ts),
// raw statements (names.ts), and interactive transactions whose first statement locks the row they are about.

import type { PrismaProvider, TotpMemberRow, TotpPrismaClient, TotpPrismaDelegates } from './client-shape';
import { compile, type Row, type SqlNames, type Statement } from './names';
import { isTransientConflict, isUniqueViolation, translateStoreError } from './store-errors';

// A SQLite driver adapter holds one connection per client, and a query sent while an interactive transaction is open
// runs inside it (and is rolled back with it): every repository over one client shares one queue, first in, first out.
const sqliteQueues = new WeakMap<object, { tail: Promise<unknown> }>();

export type Store = ReturnType<typeof createStore>;

/** How long a transaction waits for a pooled connection (then P2028, `service_unavailable`) and may run, in ms. */
const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 30_000 };

export function createStore(prisma: TotpPrismaClient, provider: PrismaProvider, names: SqlNames) {
  const queue = provider === 'sqlite' ? (sqliteQueues.get(prisma) ?? { tail: Promise.resolve() }) : undefined;
  if (queue !== undefined) sqliteQueues.set(prisma, queue);
  const transaction = <T>(fn: (tx: TotpPrismaDelegates) => Promise<T>, isolationLevel?: string): Promise<T> =>
    Promise.resolve(prisma.$transaction(fn, { ...TRANSACTION_OPTIONS, ...(isolationLevel === undefined ? {} : { isolationLevel }) }));
  return {
    prisma,
    provider,
    /** One repository call: queued on SQLite, its errors translated and named after `method`. */
    run<T>(method: string, body: () => Promise<T>): Promise<T> {
      const guarded = () => body().catch((error: unknown) => Promise.reject(translateStoreError(method, error)));
      if (queue === undefined) return guarded();
      const result = queue.tail.then(guarded, guarded);
      // The next call waits for this one to settle, whatever its outcome.
      queue.tail = result.catch(() => undefined);
      return result;
    },
    transaction,
    /**
     * A SERIALIZABLE transaction, made again (a few times) when the database aborts it for a concurrent one or a unique
     * index refuses its write: for a rule across rows that no index enforces, checked by a read and kept by the write.
     */
    async serializable<T>(fn: (tx: TotpPrismaDelegates) => Promise<T>): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          return await transaction(fn, 'Serializable');
        } catch (error) {
          if (attempt >= 5 || !(isTransientConflict(error) || isUniqueViolation(error))) throw error;
        }
      }
    },
    /** SQL in names.ts's template, over the host's names, for this database. */
    compile: (text: string) => compile(names, provider, text),
    /** `build(variant)`, built once per variant and repository. */
    cached<T>(build: (variant: string) => T): (variant: string) => T {
      const built = new Map<string, T>();
      return (variant) => (built.has(variant) ? built.get(variant)! : built.set(variant, build(variant)).get(variant)!);
    },
    /** A statement's rows, on `on` (a transaction) or the client. */
    rows: async (statement: Statement, values: readonly unknown[], on: TotpPrismaDelegates = prisma) =>
      on.$queryRawUnsafe<Row[]>(statement.sql, ...statement.args(values)),
    /** How many rows a statement changed. */
    count: async (statement: Statement, values: readonly unknown[], on: TotpPrismaDelegates = prisma) =>
      on.$executeRawUnsafe(statement.sql, ...statement.args(values)),
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
