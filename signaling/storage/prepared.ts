/**
 * A hot query built and compiled by Kysely once, then run with new parameter values. Building and
 * compiling a query with a few subqueries cost more CPU than SQLite took to run it (about a fifth
 * of a relayed signal's server time), and the SQL text never changes, only the values.
 *
 * The query is compiled with a placeholder value for each argument; the positions where those
 * placeholders landed in the compiled parameter list are where the real values go.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { SyncReader } from './db.ts';

type Arg = number | string;

/** Values no caller passes: a placeholder must not collide with a constant of the query itself. */
const placeholder = (i: number, like: Arg): Arg =>
  typeof like === 'number' ? -9_007_199_254_740_000 - i : `\u0000prepared-argument-${i}\u0000`;

/** `build` compiled once; the returned function gives the same query with real arguments bound. */
function compiledOnce<Row, A extends Arg[]>(
  build: (...args: A) => Compilable<Row>,
  example: A,
): (...args: A) => CompiledQuery<Row> {
  const stand = example.map((v, i) => placeholder(i, v)) as A;
  const compiled = build(...stand).compile();
  const position = new Map(stand.map((p, i) => [p, i]));
  const slots = compiled.parameters.map((p) => position.get(p as Arg) ?? -1);
  const bound = new Set(slots);
  stand.forEach((_, i) => {
    if (!bound.has(i)) throw new Error(`prepared query: argument ${i} is not a parameter`);
  });
  return (...args: A) => ({
    ...compiled,
    parameters: compiled.parameters.map((p, k) => {
      const slot = slots[k] as number;
      return slot === -1 ? p : args[slot];
    }),
  });
}

export function prepared<DB, Row, A extends Arg[]>(
  db: Kysely<DB>,
  build: (...args: A) => Compilable<Row>,
  /** An example of each argument's type (number or string). */
  example: A,
  /**
   * For a read-only query: run it on the store's synchronous read connection when there is one
   * (SQLite files), which skips the connection lock and Kysely's per-query machinery.
   */
  reader?: SyncReader,
): (...args: A) => Promise<Row[]> {
  const query = compiledOnce(build, example);
  if (reader) {
    if (query(...example).query.kind !== 'SelectQueryNode')
      throw new Error('prepared query: only a select may run on the read connection');
    return (...args: A) => {
      try {
        const { sql, parameters } = query(...args);
        return Promise.resolve(reader.all<Row>(sql, parameters));
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
  }
  return async (...args: A) => (await db.executeQuery(query(...args))).rows;
}

/**
 * A hot `WHERE column IN (...)` query, compiled once per list length. Lengths are rounded up to a
 * power of two (the list padded with its first value, which IN ignores), so at most a dozen SQL
 * texts exist and each stays in the statement cache. Returns the compiled query with the values
 * bound, for the caller to run where it needs to (inside a transaction, say).
 */
export function compiledIn<Row, V extends Arg>(
  build: (values: V[]) => Compilable<Row>,
  /** An example value (number or string). */
  example: NoInfer<V>,
  /** The longest list a caller passes. */
  max: number,
): (values: readonly V[]) => CompiledQuery<Row> {
  const bySize = new Map<number, (...values: V[]) => CompiledQuery<Row>>();
  return (values) => {
    if (values.length === 0) throw new Error('prepared query: an empty list');
    if (values.length > max)
      throw new Error(`prepared query: ${values.length} values, at most ${max}`);
    let size = 1;
    while (size < values.length) size *= 2;
    size = Math.min(size, max);
    let query = bySize.get(size);
    if (!query) {
      query = compiledOnce((...list: V[]) => build(list), new Array<V>(size).fill(example));
      bySize.set(size, query);
    }
    const padded = values.slice();
    while (padded.length < size) padded.push(values[0] as V);
    return query(...padded);
  };
}

/**
 * `compiledIn`, run: on the synchronous read connection when there is one (a select), otherwise
 * through `db`. An empty list answers no rows without a query.
 */
export function preparedIn<DB, Row, V extends Arg>(
  db: Kysely<DB>,
  build: (values: V[]) => Compilable<Row>,
  example: NoInfer<V>,
  max: number,
  reader?: SyncReader,
): (values: readonly V[]) => Promise<Row[]> {
  const query = compiledIn(build, example, max);
  if (reader && query([example]).query.kind !== 'SelectQueryNode')
    throw new Error('prepared query: only a select may run on the read connection');
  return (values) => {
    if (values.length === 0) return Promise.resolve([]);
    try {
      const compiled = query(values);
      if (reader) return Promise.resolve(reader.all<Row>(compiled.sql, compiled.parameters));
      return db.executeQuery(compiled).then((res) => res.rows);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  };
}
