import { describe, expect, it } from 'vitest';
import { checkGraph, nextBrandTime, splitArm, waitUntil } from './graph.ts';
import { TEMPLATES } from './templates.ts';

const trigger = { kind: 'first_order' };
const send = (id: string, next?: string) => ({
  id,
  kind: 'send',
  text: 'hi {{name}}',
  ...(next ? { next } : {}),
});

const issues = (g: unknown) => {
  const c = checkGraph(g);
  return c.graph ? [] : c.issues;
};

describe('journey graphs', () => {
  it('accepts every template', () => {
    for (const t of TEMPLATES) expect(issues(t.graph), t.key).toEqual([]);
  });

  it('names an unknown node kind by its node', () => {
    const found = issues({ trigger, start: 'a', nodes: [send('a', 'b'), { id: 'b', kind: 'teleport' }] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ node: 'b', path: 'nodes[1].kind' });
    expect(found[0]!.message).toContain('unknown node kind "teleport"');
  });

  it('names a dangling edge', () => {
    const found = issues({ trigger, start: 'a', nodes: [send('a', 'nowhere')] });
    expect(found).toEqual([
      { node: 'a', path: 'a.next', message: 'edge a.next → "nowhere" leads to no node' },
    ]);
  });

  it('refuses a cycle without a wait, and accepts one through a wait', () => {
    const loop = issues({
      trigger,
      start: 'a',
      nodes: [
        send('a', 'b'),
        { id: 'b', kind: 'branch', rule: { field: 'order_count', cmp: 'gte', value: 2 }, yes: 'a', no: 'c' },
        { id: 'c', kind: 'exit' },
      ],
    });
    expect(loop).toHaveLength(1);
    expect(loop[0]!.message).toBe('the cycle a → b → a has no wait on it');
    const waited = issues({
      trigger,
      start: 'a',
      nodes: [
        send('a', 'w'),
        { id: 'w', kind: 'wait', wait: { days: 1 }, next: 'b' },
        { id: 'b', kind: 'branch', rule: { field: 'order_count', cmp: 'gte', value: 2 }, yes: 'a', no: 'c' },
        { id: 'c', kind: 'exit' },
      ],
    });
    expect(waited).toEqual([]);
  });

  it('names unreachable nodes, twice-used ids, a bad split, a bad rule and a bad start', () => {
    expect(issues({ trigger, start: 'a', nodes: [send('a'), send('b')] })[0]).toMatchObject({
      node: 'b',
      message: 'node "b" cannot be reached from the start',
    });
    expect(issues({ trigger, start: 'a', nodes: [send('a'), send('a')] })[0]!.message).toContain(
      'used twice',
    );
    expect(
      issues({
        trigger,
        start: 's',
        nodes: [{ id: 's', kind: 'split', arms: [{ percent: 50 }, { percent: 40 }] }],
      })[0]!.message,
    ).toBe("the split's arms add up to 90%, not 100%");
    const rule = issues({
      trigger,
      start: 'b',
      nodes: [{ id: 'b', kind: 'branch', rule: { field: 'shoe_size', cmp: 'gte', value: 2 } }],
    });
    expect(rule[0]).toMatchObject({
      node: 'b',
      path: 'nodes[0].rule.field',
      message: 'unknown field "shoe_size"',
    });
    expect(issues({ trigger, start: 'zz', nodes: [send('a')] })[0]).toMatchObject({ node: 'start' });
    expect(issues({ trigger: { kind: 'moon_phase' }, start: 'a', nodes: [send('a')] })[0]!.node).toBe(
      'trigger',
    );
  });

  it('waits in brand time', () => {
    // 2026-07-01 23:30 in Shanghai is 15:30 UTC
    const at = new Date('2026-07-01T15:30:00Z');
    expect(nextBrandTime(at, '10:00').toISOString()).toBe('2026-07-02T02:00:00.000Z');
    expect(nextBrandTime(at, '23:30').toISOString()).toBe('2026-07-01T15:30:00.000Z');
    expect(waitUntil({ days: 3, hours: 0, minutes: 0, at: '10:00' }, at).toISOString()).toBe(
      '2026-07-04T02:00:00.000Z',
    );
    expect(waitUntil({ days: 0, hours: 0, minutes: 0, at: '10:00' }, at).toISOString()).toBe(
      '2026-07-02T02:00:00.000Z',
    );
    expect(waitUntil({ days: 0, hours: 2, minutes: 30 }, at).toISOString()).toBe('2026-07-01T18:00:00.000Z');
    expect(waitUntil({ untilDate: '2026-08-01', at: '09:00' }, at).toISOString()).toBe(
      '2026-08-01T01:00:00.000Z',
    );
    expect(waitUntil({ untilDate: '2020-01-01' }, at).toISOString()).toBe(at.toISOString());
  });

  it('splits sticky per customer, close to the percentages', () => {
    const arms = Array.from({ length: 10_000 }, (_, i) => splitArm(7, 'ab', i + 1, [30, 70]));
    const share = arms.filter((a) => a === 0).length / arms.length;
    expect(share).toBeGreaterThan(0.27);
    expect(share).toBeLessThan(0.33);
    expect(splitArm(7, 'ab', 42, [30, 70])).toBe(arms[41]);
  });
});
