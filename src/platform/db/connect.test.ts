import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../testing/temp-dir.ts';
import { openDatabase } from './connect.ts';

describe('the embedded database', () => {
  it('keeps data across a clean close and reopen, and refuses a second opener meanwhile', async () => {
    const dataDir = join(tempDir('db'), 'data');
    const first = await openDatabase({ dataDir });
    await sql`create table kept (v int)`.execute(first.db);
    await sql`insert into kept values (42)`.execute(first.db);
    await expect(openDatabase({ dataDir })).rejects.toThrow(/in use by process/);
    await first.close();
    await first.close(); // harmless twice

    const second = await openDatabase({ dataDir });
    const rows = await sql<{ v: number }>`select v from kept`.execute(second.db);
    expect(rows.rows).toEqual([{ v: 42 }]);
    await second.close();
  });

  it('takes over the lock of a process that is gone', async () => {
    const dataDir = join(tempDir('db'), 'data');
    writeFileSync(`${dataDir}.lock`, '999999999');
    const db = await openDatabase({ dataDir });
    expect(readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.pid));
    await db.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
  });

  it('parses bigint ids as numbers', async () => {
    const db = await openDatabase({ memory: true });
    const r = await sql<{ n: number }>`select 9007199254740991::bigint as n`.execute(db.db);
    expect(r.rows[0]!.n).toBe(Number.MAX_SAFE_INTEGER);
    await db.close();
  });
});
