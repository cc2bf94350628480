import type { Rng } from './random.ts';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URLSAFE = `${ALNUM}-_`;
const HEX = '0123456789abcdef';
const DIGITS = '0123456789';
/** How many colours Siyu draws avatars in (platform/http/avatars.ts). */
const AVATAR_COLOURS = 8;

/** Ids in WeCom's formats (API-FACTS §5). */
export class Ids {
  /**
   * @param avatarBase where avatars are served: WeCom's image host by default; the simulator bundled with
   * Siyu gives `/avatars`, initials Siyu draws itself (same origin: offline and under HTTPS too).
   */
  constructor(
    private readonly rng: Rng,
    private readonly avatarBase?: string,
  ) {}

  /** WeChat customer: `wm` + 30 characters. */
  externalUserId(): string {
    return `wm${this.rng.string(30, URLSAFE)}`;
  }
  /** Customer group: `wr` + 30 characters. */
  chatId(): string {
    return `wr${this.rng.string(30, URLSAFE)}`;
  }
  /** Corp tag and tag group: `et` + 30 characters. */
  tagId(): string {
    return `et${this.rng.string(30, URLSAFE)}`;
  }
  /** «联系我» and «加入群聊» config_id: 32 hex. */
  configId(): string {
    return this.rng.string(32, HEX);
  }
  /** Group member_version: 32 hex. */
  memberVersion(): string {
    return this.rng.string(32, HEX);
  }
  msgId(): string {
    return `msg${this.rng.string(25, URLSAFE)}`;
  }
  welcomeCode(): string {
    return this.rng.string(43, URLSAFE);
  }
  accessToken(): string {
    return this.rng.string(128, URLSAFE);
  }
  unionId(): string {
    return `o${this.rng.string(27, URLSAFE)}`;
  }
  qrCode(): string {
    return `https://wework.qpic.cn/wwpic/${this.rng.string(6, DIGITS)}_${this.rng.string(22, ALNUM)}/0`;
  }
  avatar(name = ''): string {
    const random = this.rng.string(40, ALNUM);
    if (this.avatarBase === undefined) return `http://wx.qlogo.cn/mmhead/${random}/0`;
    const initial = [...name.trim()][0] ?? '?';
    return `${this.avatarBase}/${ALNUM.indexOf(random[0]!) % AVATAR_COLOURS}/${encodeURIComponent(initial)}.svg`;
  }
}
