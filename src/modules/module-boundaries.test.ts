import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkBoundaries, createdTables, type ModuleFacts, readSources } from '../testing/boundaries.ts';
import { MODULES } from './index.ts';

const src = fileURLToPath(new URL('..', import.meta.url));
const files = readSources(src);
const modules: ModuleFacts[] = MODULES.map((m) => ({
  name: m.name,
  dependsOn: m.dependsOn,
  tables: m.tables,
  created: createdTables(m.migrations.dir),
}));

describe('module boundaries', () => {
  it('hold in the code as it is: faces only, no circle, each module writing its own tables', () => {
    expect(checkBoundaries(files, modules)).toEqual([]);
  });

  it('every module folder has its manifest in the module list', () => {
    const folders = new Set(files.flatMap((f) => /^modules\/([^/]+)\//.exec(f.path)?.[1] ?? []));
    expect([...folders].sort()).toEqual(MODULES.map((m) => m.name).sort());
  });

  // The same check on the tree with one violation planted in memory: each must be caught.
  const planted = (path: string, source: string) => checkBoundaries([...files, { path, source }], modules);

  it('catches an import of another module’s internal file', () => {
    expect(
      planted('modules/channels/planted.ts', "import { refreshFacts } from '../customers/facts.ts';"),
    ).toEqual([
      'modules/channels/planted.ts imports modules/customers/facts.ts: another module is reached through its index.ts only',
    ]);
  });

  it('catches a module reaching outside platform/, wecom/ and the contracts, and platform/ reaching a module', () => {
    expect(
      planted('modules/tags/planted.ts', "import { createServer } from '../../server.ts';"),
    ).toHaveLength(1);
    expect(planted('platform/planted.ts', "import type { Tables } from '../modules/tables.ts';")).toEqual([
      'platform/planted.ts imports modules/tables.ts: platform/ and wecom/ know no module',
    ]);
  });

  it('catches an import circle', () => {
    // customers depends on tags; tags importing customers closes a circle
    const found = planted('modules/tags/planted.ts', "import { visibleTo } from '../customers/index.ts';");
    expect(found).toContain('tags imports customers but its manifest does not depend on it');
    expect(
      found.some((v) => v.startsWith('import circle: ') && v.includes('tags') && v.includes('customers')),
    ).toBe(true);
  });

  it('catches a write to another module’s table, through Kysely or SQL', () => {
    expect(
      planted(
        'modules/channels/planted.ts',
        "await tx.db.insertInto('customer_tags').values(rows).execute();",
      ),
    ).toEqual(['modules/channels/planted.ts writes customer_tags, which customers owns']);
    expect(planted('modules/orders/planted.ts', 'await sql`update customer_facts set stage = $1`;')).toEqual([
      'modules/orders/planted.ts writes customer_facts, which customers owns',
    ]);
    expect(planted('modules/tags/planted.ts', "db.deleteFrom('follows as f')")).toHaveLength(1);
    // its own tables, and reads of anyone's, are fine
    expect(planted('modules/tags/planted.ts', "db.updateTable('tags'); db.selectFrom('follows')")).toEqual(
      [],
    );
  });

  it('catches a table with two owners, and one its owner does not create', () => {
    const twice = modules.map((m) => (m.name === 'channels' ? { ...m, tables: [...m.tables, 'tags'] } : m));
    expect(checkBoundaries(files, twice)).toContain('table tags is owned by both tags and channels');
    expect(checkBoundaries(files, twice)).toContain('channels owns tags, which its migrations do not create');
  });
});
