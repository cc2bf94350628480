import { describe, expect, it } from 'vitest';
import { MODULES } from './modules/index.ts';
import type { ModuleManifest } from './modules/manifest.ts';
import { combineEffects } from './runtime.ts';

const mod = (name: string, outboxEffects: ModuleManifest['outboxEffects']): ModuleManifest => ({
  name,
  dependsOn: [],
  tables: [],
  migrations: { dir: '' },
  publishes: [],
  outboxEffects,
});

describe("the modules' outbox effects", () => {
  it('keep one send per kind and run every onDone', async () => {
    const done: string[] = [];
    const send = async () => ({ sent: true });
    const effects = combineEffects([
      mod('a', { k: { send } }),
      mod('b', { k: { onDone: async () => void done.push('b') } }),
      mod('c', { k: { onDone: async () => void done.push('c') }, other: { send } }),
    ]);
    expect(effects.k!.send).toBe(send);
    // biome-ignore lint/suspicious/noExplicitAny: the arguments are not read
    await effects.k!.onDone!({} as any, {} as any, {});
    expect(done).toEqual(['b', 'c']);
    expect(() => combineEffects([mod('a', { k: { send } }), mod('b', { k: { send } })])).toThrow(
      'two modules send outbox calls of kind k',
    );
  });

  it("keep outreach's onDone for add_msg_template beside journeys' send", () => {
    const effects = combineEffects(MODULES);
    const mass = effects['/cgi-bin/externalcontact/add_msg_template']!;
    expect(mass.send).toBeDefined();
    expect(mass.onDone).toBeDefined();
  });
});
