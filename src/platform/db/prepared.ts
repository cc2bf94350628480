import { createHash } from 'node:crypto';
import type pg from 'pg';

/** A statement is prepared once it has run this many times in the process. */
const PREPARE_AFTER = 3;
/** Distinct statement texts counted before the counts start over (one-off texts must not pile up). */
const MAX_COUNTED = 5_000;
/** Prepared statements one connection keeps at most; later ones run unnamed. */
const MAX_PER_CONNECTION = 500;

/** Statement text → how often it ran, or its name once it is prepared. */
/**
 * A statement that starts with this is never prepared: analytics over skewed data (segments), where a plan
 * made for the values at hand beats a generic one and planning is a small part of the run.
 */
export const AD_HOC = '/* ad hoc */';

const runs = new Map<string, number | string>();

/**
 * Makes a PostgreSQL connection prepare the statements the process runs again and again (the add path,
 * the job queues): the server then parses each once per connection and, for the simple lookups, plans it
 * once too, where an unnamed statement is parsed and planned on every run. Only statements with parameters
 * are named: the parameterless ones include migrations and other multi-statement scripts, which the
 * extended protocol cannot run.
 */
export function prepareRepeatedStatements(client: pg.PoolClient): void {
  const prepared = new Set<string>();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((text: unknown, values?: unknown, callback?: unknown) => {
    if (typeof text === 'string' && Array.isArray(values) && values.length > 0 && !text.startsWith(AD_HOC)) {
      const name = statementName(text, prepared);
      if (name) return query({ name, text, values }, callback);
    }
    return query(text, values, callback);
  }) as typeof client.query;
}

function statementName(text: string, prepared: Set<string>): string | null {
  const run = runs.get(text) ?? 0;
  if (typeof run === 'number' && run + 1 < PREPARE_AFTER) {
    if (runs.size >= MAX_COUNTED) runs.clear();
    runs.set(text, run + 1);
    return null;
  }
  const name = typeof run === 'string' ? run : `siyu_${createHash('sha1').update(text).digest('base64url')}`;
  runs.set(text, name);
  if (prepared.has(name)) return name;
  if (prepared.size >= MAX_PER_CONNECTION) return null;
  prepared.add(name);
  return name;
}
