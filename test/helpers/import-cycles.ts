/**
 * Cycles in a directed graph (files and their imports), for the layering test: Tarjan's
 * strongly connected components, each with more than one node or a node importing itself.
 */
export function importCycles<T>(nodes: readonly T[], next: (node: T) => readonly T[]): T[][] {
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const stack: T[] = [];
  const onStack = new Set<T>();
  const found: T[][] = [];
  const visit = (node: T) => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const to of next(node)) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: T[] = [];
    let member: T;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || next(node).includes(node)) found.push(component);
  };
  for (const node of nodes) if (!index.has(node)) visit(node);
  return found;
}

/** One loop through a cycle's nodes, from `start` back to it, for a report: a → b → … → a. */
export function loopFrom<T>(start: T, members: readonly T[], next: (node: T) => readonly T[]): T[] {
  const inCycle = new Set(members);
  const path = [start];
  const seen = new Set([start]);
  for (;;) {
    const steps = next(path[path.length - 1]!).filter((t) => inCycle.has(t));
    if (path.length > 1 && steps.includes(start)) break;
    const step = steps.find((t) => !seen.has(t));
    if (step === undefined) break;
    path.push(step);
    seen.add(step);
  }
  return [...path, start];
}
