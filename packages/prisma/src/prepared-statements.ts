// Names for prepared statements on PostgreSQL, for `new PrismaPg(config, { statementNameGenerator })` (node-postgres's
// named statements): each statement parsed and planned once per connection, instead of on every call (docs/prisma.md).

/** The `SqlQuery` Prisma hands the generator, as far as it is read here. */
export interface NamedStatementQuery {
  sql: string;
}

export interface PreparedStatementNamesOptions {
  /**
   * How many distinct SQL texts get a name (default 256). Every connection keeps each named statement until it
   * closes, so an app whose SQL varies without bound (IN lists of every length, say) must not name them all:
   * past the limit, statements run unnamed, as without this option.
   */
  max?: number;
  /** Prefix of the names (default `totp_`), so they are easy to tell apart in `pg_prepared_statements`. */
  prefix?: string;
}

/**
 * A `statementNameGenerator` that gives each distinct SQL text its own stable name: `prefix` + a counter. Names
 * are per generator, so give each PrismaPg its own. The @totp/prisma statements are a fixed set of a few dozen.
 */
export function preparedStatementNames(options: PreparedStatementNamesOptions = {}): (query: NamedStatementQuery) => string {
  const max = options.max ?? 256;
  const prefix = options.prefix ?? 'totp_';
  if (!Number.isSafeInteger(max) || max < 0) throw new RangeError('preparedStatementNames: `max` must be a non-negative integer');
  if (typeof prefix !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(prefix)) {
    throw new RangeError('preparedStatementNames: `prefix` must be a short SQL identifier (letters, digits, _)');
  }
  const names = new Map<string, string>();
  return ({ sql }) => {
    let name = names.get(sql);
    if (name === undefined) {
      // node-postgres treats an undefined name as an unnamed statement (the adapter's default).
      if (names.size >= max) return undefined as unknown as string;
      name = `${prefix}${names.size}`;
      names.set(sql, name);
    }
    return name;
  };
}
