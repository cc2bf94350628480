import { describe, expect, it } from 'vitest';
import { addressKey, LOGIN_WINDOW_MS, LoginGuard } from './rate-limit.ts';

const limits = { perAccountAddress: 2, perAccount: 4, perAddress: 3 };

describe('the login guard', () => {
  it('locks the (account, address) pair, and unlocks it when the window has passed', () => {
    let now = 0;
    const guard = new LoginGuard(limits, () => now);
    guard.failed('a@x', '10.0.0.1');
    guard.failed('a@x', '10.0.0.1');
    expect(guard.isBlocked('a@x', '10.0.0.1')).toBe(true);
    expect(guard.isBlocked('a@x', '10.0.0.2')).toBe(false);
    expect(guard.isBlocked('b@x', '10.0.0.1')).toBe(false);
    now += LOGIN_WINDOW_MS;
    expect(guard.isBlocked('a@x', '10.0.0.1')).toBe(false);
  });

  it('locks an address failing on many accounts', () => {
    const guard = new LoginGuard(limits);
    for (const a of ['a@x', 'b@x', 'c@x']) guard.failed(a, '10.0.0.1');
    expect(guard.isBlocked('d@x', '10.0.0.1')).toBe(true);
    expect(guard.isBlocked('d@x', '10.0.0.2')).toBe(false);
  });

  it('locks an account failing from many addresses, except from the addresses it signed in from', () => {
    const guard = new LoginGuard(limits);
    guard.succeeded('a@x', '10.0.0.9');
    for (let i = 1; i <= 4; i++) guard.failed('a@x', `10.0.0.${i}`);
    expect(guard.isBlocked('a@x', '10.0.0.5')).toBe(true);
    expect(guard.isBlocked('a@x', '10.0.0.9')).toBe(false);
  });

  it('clears the pair on success', () => {
    const guard = new LoginGuard(limits);
    guard.failed('a@x', '10.0.0.1');
    guard.succeeded('a@x', '10.0.0.1');
    guard.failed('a@x', '10.0.0.1');
    expect(guard.isBlocked('a@x', '10.0.0.1')).toBe(false);
  });

  it('counts an IPv6 client by its /64 and an IPv4-mapped one as IPv4', () => {
    expect(addressKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    const guard = new LoginGuard(limits);
    guard.failed('a@x', '2001:db8:1:2::1');
    guard.failed('a@x', '2001:db8:1:2::2');
    expect(guard.isBlocked('a@x', '2001:db8:1:2:ffff::3')).toBe(true);
    expect(guard.isBlocked('a@x', '2001:db8:1:3::1')).toBe(false);
  });
});
