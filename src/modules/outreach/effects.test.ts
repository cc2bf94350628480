import { describe, expect, it } from 'vitest';
import { joinOutboxEffects } from '../../runtime.ts';
import { ADD_MSG_TEMPLATE } from '../../wecom/paths.ts';
import { MODULES } from '../index.ts';
import type { ModuleManifest } from '../manifest.ts';

describe('outbox effects of add_msg_template', () => {
  it("keep journeys' send-once and mass sends' onDone together", () => {
    const effect = joinOutboxEffects(MODULES)[ADD_MSG_TEMPLATE];
    expect(effect?.send).toBeTypeOf('function');
    expect(effect?.onDone).toBeTypeOf('function');
  });

  it('run every onDone, and refuse two modules making the same call', async () => {
    const seen: string[] = [];
    const mod = (name: string, effect: ModuleManifest['outboxEffects']) =>
      ({ name, outboxEffects: effect }) as unknown as ModuleManifest;
    const joined = joinOutboxEffects([
      mod('a', { k: { onDone: async () => void seen.push('a') } }),
      mod('b', { k: { send: async () => ({}), onDone: async () => void seen.push('b') } }),
    ]);
    await joined.k!.onDone!(undefined as never, undefined as never, {});
    expect(seen).toEqual(['a', 'b']);
    expect(() =>
      joinOutboxEffects([
        mod('a', { k: { send: async () => ({}) } }),
        mod('b', { k: { send: async () => ({}) } }),
      ]),
    ).toThrow(/a and b both make the outbox call k/);
  });
});
