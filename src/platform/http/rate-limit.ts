import { isIPv4, isIPv6 } from 'node:net';

/**
 * Fixed-window failure counter, in memory: enough for one process guarding its login form. Several web
 * processes would each keep their own window (a shared store is a later step; see docs/ARCHITECTURE.md).
 */
export class FailureLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  isBlocked(key: string): boolean {
    const w = this.windows.get(key);
    if (!w) return false;
    if (w.resetAt <= this.now()) {
      this.windows.delete(key);
      return false;
    }
    return w.count >= this.max;
  }

  fail(key: string): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
    else w.count++;
    if (this.windows.size > 100_000) this.sweep(now);
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

/** Failed sign-ins allowed within the window (15 minutes). */
export interface LoginLimits {
  /** one account from one address: what a person mistyping, or one guesser, meets first */
  perAccountAddress: number;
  /** one account from all addresses it was never signed in from: a guesser spreading over addresses */
  perAccount: number;
  /** one address over all accounts: a guesser trying one password on many accounts */
  perAddress: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { perAccountAddress: 5, perAccount: 100, perAddress: 50 };
export const LOGIN_WINDOW_MS = 15 * 60 * 1000;
/** An address an account signed in from stays known this long: the per-account ceiling spares it. */
export const KNOWN_ADDRESS_MS = 30 * 24 * 3600 * 1000;

/**
 * Decides whether a sign-in attempt may be checked at all. Failures lock the (account, address) pair,
 * so a guesser locks himself out, not the account's owner elsewhere; an address failing on many
 * accounts is locked whole; and an account failing from many addresses hits a higher ceiling that locks
 * it everywhere except from the addresses it signed in from successfully before. `account` is the
 * normalised login, `address` the client address (an IPv6 one counts by its /64, what one host holds).
 */
export class LoginGuard {
  private readonly pair: FailureLimiter;
  private readonly account: FailureLimiter;
  private readonly address: FailureLimiter;
  private readonly known = new Map<string, number>();

  constructor(
    limits: LoginLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.pair = new FailureLimiter(limits.perAccountAddress, LOGIN_WINDOW_MS, now);
    this.account = new FailureLimiter(limits.perAccount, LOGIN_WINDOW_MS, now);
    this.address = new FailureLimiter(limits.perAddress, LOGIN_WINDOW_MS, now);
  }

  isBlocked(account: string, address: string): boolean {
    const where = addressKey(address);
    if (this.pair.isBlocked(pairKey(account, where)) || this.address.isBlocked(where)) return true;
    return this.account.isBlocked(account) && !this.isKnown(account, where);
  }

  failed(account: string, address: string): void {
    const where = addressKey(address);
    this.pair.fail(pairKey(account, where));
    this.account.fail(account);
    this.address.fail(where);
  }

  succeeded(account: string, address: string): void {
    const key = pairKey(account, addressKey(address));
    this.pair.reset(key);
    const now = this.now();
    this.known.set(key, now + KNOWN_ADDRESS_MS);
    if (this.known.size > 100_000)
      for (const [k, until] of this.known) if (until <= now) this.known.delete(k);
  }

  private isKnown(account: string, where: string): boolean {
    const until = this.known.get(pairKey(account, where));
    return until !== undefined && until > this.now();
  }
}

const pairKey = (account: string, where: string) => `${account}\n${where}`;

/** An IPv4 address as is (also when IPv4-mapped); an IPv6 address as its /64 prefix. */
export function addressKey(ip: string): string {
  const v4 = ip.replace(/^::ffff:/i, '');
  if (isIPv4(v4)) return v4;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
