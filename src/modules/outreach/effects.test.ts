import { describe, expect, it } from 'vitest';
import { combineOutboxEffects } from '../../runtime.ts';
import { ADD_MSG_TEMPLATE } from '../../wecom/paths.ts';
import { MODULES } from '../index.ts';

describe('outbox effects of add_msg_template', () => {
  it("keep journeys' send-once call and mass sends' onDone together", () => {
    const effect = combineOutboxEffects(MODULES)[ADD_MSG_TEMPLATE];
    expect(effect?.send).toBeTypeOf('function');
    expect(effect?.onDone.length).toBeGreaterThanOrEqual(1);
  });
});
