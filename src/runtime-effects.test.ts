import { describe, expect, it } from 'vitest';
import { MODULES } from './modules/index.ts';
import type { ModuleManifest, OutboxEffect } from './modules/manifest.ts';
import { combineOutboxEffects } from './runtime.ts';
import { ADD_MSG_TEMPLATE } from './wecom/paths.ts';

const mod = (name: string, effects: Record<string, OutboxEffect>): ModuleManifest => ({
  name,
  dependsOn: [],
  tables: [],
  migrations: { dir: '' },
  publishes: [],
  outboxEffects: effects,
});

describe('outbox effects of several modules', () => {
  it('keeps every module’s onDone for a kind and the one send', () => {
    const send: OutboxEffect['send'] = async () => ({});
    const a: OutboxEffect['onDone'] = async () => {};
    const b: OutboxEffect['onDone'] = async () => {};
    const effects = combineOutboxEffects([
      mod('one', { k: { send, onDone: a } }),
      mod('two', { k: { onDone: b } }),
    ]);
    expect(effects.k?.send).toBe(send);
    expect(effects.k?.onDone).toEqual([a, b]);
  });

  it('refuses two modules that would both send one kind', () => {
    const send: OutboxEffect['send'] = async () => ({});
    expect(() => combineOutboxEffects([mod('one', { k: { send } }), mod('two', { k: { send } })])).toThrow(
      /one and two both send k/,
    );
  });

  it('lets journeys send add_msg_template once and mass sends keep what WeCom answered', () => {
    const effects = combineOutboxEffects(MODULES);
    expect(effects[ADD_MSG_TEMPLATE]?.send).toBeTypeOf('function');
    expect(effects[ADD_MSG_TEMPLATE]?.onDone.length).toBeGreaterThanOrEqual(1);
  });
});
