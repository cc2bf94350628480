import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** A source file, by its path relative to src/ (`modules/tags/sync.ts`). */
export interface SourceFile {
  path: string;
  source: string;
}

export interface ModuleFacts {
  name: string;
  dependsOn: readonly string[];
  tables: readonly string[];
  /** The tables its migrations create (`create table <name>`). */
  created: readonly string[];
}

/** The files of modules/ that every module may import: the contracts they share. */
export const SHARED_CONTRACTS = [
  'modules/events.ts',
  'modules/context.ts',
  'modules/manifest.ts',
  'modules/tables.ts',
];

/** Every .ts file under src/ except tests (they may reach into a module to set a case up). */
export function readSources(srcDir: string): SourceFile[] {
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
  return walk(srcDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => ({ path: relative(srcDir, f).split(sep).join('/'), source: readFileSync(f, 'utf8') }));
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: SourceFile): string[] {
  const out: string[] = [];
  for (const m of file.source.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2]!;
    if (!spec.startsWith('.')) continue;
    out.push(
      relative('/', resolve('/', dirname(file.path), spec))
        .split(sep)
        .join('/'),
    );
  }
  return out;
}

const moduleOf = (path: string) => /^modules\/([^/]+)\//.exec(path)?.[1] ?? null;

/** Kysely's write calls and SQL's write statements naming a table (a literal name only). */
const WRITES = [
  /\.(?:insertInto|updateTable|deleteFrom|mergeInto)\(\s*['"`]([a-z_]+)(?:\s+as\s+\w+)?['"`]/g,
  /\b(?:insert\s+into|update|delete\s+from|merge\s+into)\s+([a-z_]+)\b/gi,
];

/**
 * The module rules, checked on source text: a module imports only platform/, wecom/, the shared contracts
 * and other modules' index.ts, each of those modules named in its dependsOn; no module depends on itself
 * through others; a module writes no table another module owns; each table has one owner, whose
 * migrations create it; platform/ and wecom/ import no module. Returns every violation, in words.
 */
export function checkBoundaries(files: readonly SourceFile[], modules: readonly ModuleFacts[]): string[] {
  const bad: string[] = [];
  const names = new Set(modules.map((m) => m.name));
  const owner = new Map<string, string>();
  for (const m of modules) {
    for (const t of m.tables) {
      if (owner.has(t)) bad.push(`table ${t} is owned by both ${owner.get(t)} and ${m.name}`);
      owner.set(t, m.name);
    }
    for (const t of m.created) {
      if (!m.tables.includes(t))
        bad.push(`${m.name}'s migrations create ${t}, which its manifest does not own`);
    }
    for (const t of m.tables) {
      if (!m.created.includes(t)) bad.push(`${m.name} owns ${t}, which its migrations do not create`);
    }
  }

  const uses = new Map<string, Set<string>>();
  for (const file of files) {
    const m = moduleOf(file.path);
    const inModules = file.path.startsWith('modules/');
    for (const target of importsOf(file)) {
      const t = moduleOf(target);
      if (!inModules) {
        if (
          (file.path.startsWith('platform/') || file.path.startsWith('wecom/')) &&
          target.startsWith('modules/')
        )
          bad.push(`${file.path} imports ${target}: platform/ and wecom/ know no module`);
        continue;
      }
      if (m === null) continue; // the shared contracts and the module list at modules/*.ts
      if (t === m) continue;
      if (t === null) {
        const allowed =
          target.startsWith('platform/') || target.startsWith('wecom/') || SHARED_CONTRACTS.includes(target);
        if (!allowed)
          bad.push(
            `${file.path} imports ${target}: a module imports only platform/, wecom/, the shared contracts and modules' index.ts`,
          );
        continue;
      }
      if (target !== `modules/${t}/index.ts`) {
        bad.push(`${file.path} imports ${target}: another module is reached through its index.ts only`);
        continue;
      }
      if (!uses.has(m)) uses.set(m, new Set());
      uses.get(m)!.add(t);
    }
    if (m === null) continue;
    for (const pattern of WRITES) {
      for (const w of file.source.matchAll(pattern)) {
        const table = w[1]!;
        const o = owner.get(table);
        if (o && o !== m) bad.push(`${file.path} writes ${table}, which ${o} owns`);
      }
    }
  }

  for (const m of modules) {
    for (const t of uses.get(m.name) ?? []) {
      if (!names.has(t)) continue;
      if (!m.dependsOn.includes(t)) bad.push(`${m.name} imports ${t} but its manifest does not depend on it`);
    }
  }
  // a circle through imports or declared dependencies
  const edges = new Map(modules.map((m) => [m.name, new Set([...m.dependsOn, ...(uses.get(m.name) ?? [])])]));
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      bad.push(`import circle: ${[...path.slice(path.indexOf(n)), n].join(' → ')}`);
      return;
    }
    state.set(n, 'open');
    for (const next of edges.get(n) ?? []) visit(next, [...path, n]);
    state.set(n, 'done');
  };
  for (const m of modules) visit(m.name, []);
  return bad;
}

/** The tables a module's migrations folder creates. */
export function createdTables(migrationsDir: string): string[] {
  return readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .flatMap((f) =>
      [
        ...readFileSync(join(migrationsDir, f), 'utf8').matchAll(
          /create table (?:if not exists )?([a-z_]+)/gi,
        ),
      ].map((m) => m[1]!),
    );
}
