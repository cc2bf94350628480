import type { MigrationSource } from '../platform/db/migrate.ts';
import { platformMigrations } from '../platform/migrations.ts';
import { accounts } from './accounts/module.ts';
import { audit } from './audit/module.ts';
import { channels } from './channels/module.ts';
import { connector } from './connector/module.ts';
import { content } from './content/module.ts';
import { customers } from './customers/module.ts';
import { groups } from './groups/module.ts';
import { insight } from './insight/module.ts';
import { journeys } from './journeys/module.ts';
import type { ModuleManifest } from './manifest.ts';
import { moments } from './moments/module.ts';
import { orders } from './orders/module.ts';
import { org } from './org/module.ts';
import { outreach } from './outreach/module.ts';
import { segments } from './segments/module.ts';
import { sidebar } from './sidebar/module.ts';
import { staff } from './staff/module.ts';
import { tagRules } from './tag-rules/module.ts';
import { tags } from './tags/module.ts';
import { tasks } from './tasks/module.ts';
import { transfers } from './transfers/module.ts';

/** Every module of Siyu. A new module is one line here (its manifest says the rest). */
const ALL: readonly ModuleManifest[] = [
  audit,
  org,
  staff,
  accounts,
  tags,
  customers,
  groups,
  channels,
  orders,
  tagRules,
  segments,
  connector,
  content,
  outreach,
  journeys,
  tasks,
  transfers,
  insight,
  sidebar,
  moments,
];

/** The modules in dependency order (a module after those it depends on); refuses unknown names and circles. */
export function inDependencyOrder(modules: readonly ModuleManifest[]): ModuleManifest[] {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const done = new Set<string>();
  const out: ModuleManifest[] = [];
  const visit = (m: ModuleManifest, path: string[]) => {
    if (done.has(m.name)) return;
    if (path.includes(m.name))
      throw new Error(`modules depend on each other: ${[...path, m.name].join(' → ')}`);
    for (const dep of m.dependsOn) {
      const d = byName.get(dep);
      if (!d) throw new Error(`module ${m.name} depends on ${dep}, which is not a module`);
      visit(d, [...path, m.name]);
    }
    done.add(m.name);
    out.push(m);
  };
  for (const m of modules) visit(m, []);
  return out;
}

export const MODULES: readonly ModuleManifest[] = inDependencyOrder(ALL);

/** The platform's migrations, then each module's, in dependency order. */
export const MIGRATION_SOURCES: readonly MigrationSource[] = [
  platformMigrations,
  ...MODULES.map((m) => ({ name: m.name, ...m.migrations })),
];
