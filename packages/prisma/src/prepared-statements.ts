// Names for prepared statements on PostgreSQL, for `new PrismaPg(config, { statementNameGenerator })` (node-postgres's
// named statements): each statement parsed and planned once per connection, instead of on every call (docs/prisma.md).

export interface PreparedStatementNamesOptions {
  /**
   * How many distinct SQL texts get a name (default 256). Every connection keeps each named statement until it
   * closes, so an app whose SQL varies without bound (IN lists of every length, say) must not name them all:
   * past the limit, statements run unnamed, as without this option.
   */
  max?: number;
}

/**
 * A `statementNameGenerator` that gives each distinct SQL text its own stable name, `totp_` and a counter (so they are
 * easy to tell apart in `pg_prepared_statements`). Names are per generator, so give each PrismaPg its own. The
 * @totp/prisma statements are a fixed set of a few dozen.
 */
export function preparedStatementNames(options: PreparedStatementNamesOptions = {}): (query: { sql: string }) => string {
  const max = options.max ?? 256;
  if (!Number.isSafeInteger(max) || max < 0) throw new RangeError('preparedStatementNames: `max` must be a non-negative integer');
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      // node-postgres treats an undefined name as an unnamed statement (the adapter's default).
      if (names.size >= max) return undefined as unknown as string;
      name = `totp_${names.size}`;
      names.set(sql, name);
    }
    return name;
  };
}
