// Wraps a Prisma driver adapter factory to see every statement sent to the database: to count round trips, and to
// make the Nth statement of a transaction fail, as a dropped connection or a failing disk would.

/** A Prisma 7 driver adapter factory (`new PrismaPg(...)`, `new PrismaBetterSqlite3(...)`), as far as we wrap it. */
interface AdapterFactory {
  readonly provider: string;
  readonly adapterName: string;
  connect(): Promise<unknown>;
}

type Query = { sql: string; args?: unknown[] };
type Queryable = {
  queryRaw(query: Query): Promise<unknown>;
  executeRaw(query: Query): Promise<unknown>;
};
type Adapter = Queryable & { startTransaction(isolationLevel?: string): Promise<Queryable> };

export interface StatementHooks {
  /**
   * Called before each statement goes to the database, which waits for it; a throw fails that statement. `transaction`
   * numbers the statements inside a transaction from 1 (BEGIN is 0), and is undefined outside one.
   */
  beforeStatement?(sql: string, transaction: { statement: number } | undefined): void | Promise<void>;
}

export interface StatementCounter {
  /** Statements sent, each one round trip: BEGIN, every query, COMMIT/ROLLBACK. */
  roundTrips: number;
  /** Each statement with how long the driver took to answer it (undefined while in flight, and for BEGIN). */
  statements: Array<{ sql: string; args: unknown[]; durationMs?: number }>;
  reset(): void;
}

export function instrumentAdapter<F extends AdapterFactory>(
  factory: F,
  hooks: StatementHooks = {},
): { factory: F; counter: StatementCounter } {
  const counter: StatementCounter = {
    roundTrips: 0,
    statements: [],
    reset() {
      counter.roundTrips = 0;
      counter.statements = [];
    },
  };
  const record = (sql: string, args: unknown[] = []) => {
    counter.roundTrips += 1;
    const statement: StatementCounter['statements'][number] = { sql, args };
    counter.statements.push(statement);
    return statement;
  };
  const wrapQueryable = <Q extends Queryable>(queryable: Q, position?: { statement: number }): Q => {
    for (const method of ['queryRaw', 'executeRaw'] as const) {
      const original = queryable[method].bind(queryable);
      queryable[method] = async (query: Query) => {
        if (position !== undefined) position.statement += 1;
        // A ROLLBACK must always go through, or the injected failure would leave the transaction open.
        if (!/^\s*ROLLBACK/i.test(query.sql)) await hooks.beforeStatement?.(query.sql, position && { ...position });
        const statement = record(query.sql, query.args);
        const started = performance.now();
        try {
          return await original(query);
        } finally {
          statement.durationMs = performance.now() - started;
        }
      };
    }
    return queryable;
  };
  const wrapped = Object.create(factory) as F;
  wrapped.connect = async () => {
    const adapter = wrapQueryable((await factory.connect()) as Adapter);
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel?: string) => {
      await hooks.beforeStatement?.('BEGIN', { statement: 0 });
      record('BEGIN');
      if (isolationLevel !== undefined) record('SET TRANSACTION ISOLATION LEVEL');
      return wrapQueryable(await startTransaction(isolationLevel), { statement: 0 });
    };
    return adapter;
  };
  return { factory: wrapped, counter };
}
