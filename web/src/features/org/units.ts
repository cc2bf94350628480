import type { Unit } from './api';

export type UnitNode<U extends Unit = Unit> = U & { children: UnitNode<U>[] };

/** The caller's units as a forest: an item whose parent is null or outside the list is a root. */
export function buildUnitTree<U extends Unit>(units: U[]): UnitNode<U>[] {
  const nodes = new Map<number, UnitNode<U>>();
  for (const unit of units) nodes.set(unit.id, { ...unit, children: [] });
  const roots: UnitNode<U>[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentId === null ? undefined : nodes.get(node.parentId);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Ids of the nodes down to `depth` levels (roots are level 1), to expand a tree sensibly at first. */
export function idsToDepth(roots: UnitNode[], depth: number): number[] {
  const out: number[] = [];
  const walk = (list: UnitNode[], level: number) => {
    if (level > depth) return;
    for (const node of list) {
      if (node.children.length > 0) out.push(node.id);
      walk(node.children, level + 1);
    }
  };
  walk(roots, 1);
  return out;
}
