import { describe, expect, it } from 'vitest';
import { CHANNEL_METHODS } from '../channels/index.ts';
import { checkRule, conditionsOf, FIELDS, METHODS } from './rule.ts';

describe('rule', () => {
  it('knows the methods a channel can have', () => {
    expect([...METHODS]).toEqual(CHANNEL_METHODS);
  });

  it('has one definition per field key', () => {
    expect(new Set(FIELDS.map((f) => f.key)).size).toBe(FIELDS.length);
  });

  it('names every bad node by its path, all of them at once', () => {
    const checked = checkRule({
      op: 'or',
      rules: [
        { field: 'tag', cmp: 'in', value: [1, 'x'] },
        { op: 'not', rule: { field: 'orders_30d', cmp: 'between', value: [1] } },
        { op: 'and', rules: [{ field: 'stage', cmp: 'in', value: ['super'] }, { cmp: 'eq' }] },
      ],
    });
    expect(checked.rule).toBeNull();
    expect(checked.issues.map((i) => i.path)).toEqual([
      'rules[0].value[1]',
      'rules[1].rule.value',
      'rules[2].rules[1].field',
    ]);
  });

  it('keeps what it accepts, dropping nothing but a value the comparison does not take', () => {
    const rule = {
      op: 'and',
      rules: [
        { field: 'coupon_share', cmp: 'between', value: [0.25, 0.5] },
        { op: 'not', rule: { field: 'group', cmp: 'any', value: 'ignored' } },
      ],
    };
    const checked = checkRule(rule);
    expect(checked.issues).toEqual([]);
    expect(checked.rule).toEqual({
      op: 'and',
      rules: [
        { field: 'coupon_share', cmp: 'between', value: [0.25, 0.5] },
        { op: 'not', rule: { field: 'group', cmp: 'any' } },
      ],
    });
    expect(conditionsOf(checked.rule!).map((c) => c.field)).toEqual(['coupon_share', 'group']);
  });

  it('takes integers where the column is one, so a value binds to its type', () => {
    expect(checkRule({ field: 'order_count', cmp: 'gte', value: 1.5 }).issues[0]?.path).toBe('value');
    expect(checkRule({ field: 'ltv_fen', cmp: 'gte', value: 1e16 }).issues[0]?.path).toBe('value');
    expect(checkRule({ field: 'coupon_share', cmp: 'lte', value: 1.5 }).issues[0]?.path).toBe('value');
    expect(checkRule({ field: 'last_order_days', cmp: 'lte', value: 30 }).issues).toEqual([]);
  });
});
