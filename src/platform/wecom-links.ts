import type { Kysely } from 'kysely';
import { WecomClient, type WecomClientOptions } from '../wecom/client.ts';
import { type CallbackCrypto, callbackCrypto } from '../wecom/crypto.ts';
import type { Pii } from './pii.ts';
import { type PlatformTables, platformDb } from './tables.ts';

export interface ConnectionInput {
  wecomCorpId: string;
  agentId?: string | null;
  apiBaseUrl: string;
  secret: string;
  callbackToken: string;
  encodingAesKey: string;
  simulated: boolean;
}

/**
 * A brand's link to WeCom (real, or the bundled simulator): its credentials in `wecom_connections` and the
 * client and callback crypto made from them. Infrastructure every WeCom call and callback goes through.
 */

/** Stores a brand's WeCom credentials; the secret, token and AES key only as ciphertext. */
export async function saveConnection<DB extends PlatformTables>(
  schema: Kysely<DB>,
  pii: Pii,
  corpId: string,
  input: ConnectionInput,
): Promise<void> {
  const db = platformDb(schema);
  callbackCrypto(input.callbackToken, input.encodingAesKey, input.wecomCorpId); // refuses a malformed key now
  const values = {
    wecom_corp_id: input.wecomCorpId,
    agent_id: input.agentId ?? null,
    api_base_url: input.apiBaseUrl,
    secret_cipher: pii.encrypt(input.secret),
    callback_token_cipher: pii.encrypt(input.callbackToken),
    callback_aes_key_cipher: pii.encrypt(input.encodingAesKey),
    simulated: input.simulated,
  };
  await db
    .insertInto('wecom_connections')
    .values({ corp_id: corpId, ...values })
    .onConflict((oc) => oc.column('corp_id').doUpdateSet(values))
    .execute();
}

/** What Siyu needs to talk with one brand's WeCom: its callback crypto and an API client. */
export interface CorpLink {
  corpId: string;
  wecomCorpId: string;
  simulated: boolean;
  crypto: CallbackCrypto;
  client: WecomClient;
}

/**
 * One CorpLink per connected brand, built on first use and kept (the client keeps its token cache and rate
 * limiter across calls). `invalidate` after the credentials change.
 */
export class ConnectionRegistry {
  private readonly links = new Map<string, Promise<CorpLink | null>>();

  constructor(
    private readonly db: Kysely<PlatformTables>,
    private readonly pii: Pii,
    private readonly clientOptions: Partial<WecomClientOptions> = {},
  ) {}

  get(corpId: string): Promise<CorpLink | null> {
    let link = this.links.get(corpId);
    if (!link) {
      link = this.load(corpId);
      this.links.set(corpId, link);
      link.then(
        (l) => l === null && this.links.delete(corpId),
        () => this.links.delete(corpId),
      );
    }
    return link;
  }

  async require(corpId: string): Promise<CorpLink> {
    const link = await this.get(corpId);
    if (!link) throw new Error(`brand ${corpId} is not connected to WeCom`);
    return link;
  }

  invalidate(corpId: string): void {
    this.links.delete(corpId);
  }

  private async load(corpId: string): Promise<CorpLink | null> {
    const row = await this.db
      .selectFrom('wecom_connections')
      .selectAll()
      .where('corp_id', '=', corpId)
      .executeTakeFirst();
    if (!row) return null;
    const { pii } = this;
    return {
      corpId,
      wecomCorpId: row.wecom_corp_id,
      simulated: row.simulated,
      crypto: callbackCrypto(
        pii.decrypt(row.callback_token_cipher),
        pii.decrypt(row.callback_aes_key_cipher),
        row.wecom_corp_id,
      ),
      client: new WecomClient({
        ...this.clientOptions,
        baseUrl: row.api_base_url,
        corpId: row.wecom_corp_id,
        secret: pii.decrypt(row.secret_cipher),
      }),
    };
  }
}
