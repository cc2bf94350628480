import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import { hashPassword } from './modules/accounts/index.ts';
import type { Tables } from './modules/tables.ts';
import type { Config, wecomCredentials } from './platform/config.ts';
import { AVATAR_PATH } from './platform/http/avatars.ts';
import type { Pii } from './platform/pii.ts';
import { saveConnection } from './platform/wecom-links.ts';
import type { Clock } from './simulator/clock.ts';
import { type RunningSimulator, startSimulator } from './simulator/server.ts';

/**
 * How `siyu start` and `siyu sync` reach WeCom: the real one when credentials are configured, otherwise the
 * bundled simulator, a real HTTP server on its own port whose state persists beside the data folder.
 */
export function simulatorStateFile(config: Config): string {
  return join(dirname(config.dataDir), 'simulator.json');
}

export function startBundledSimulator(config: Config, clock?: Clock): Promise<RunningSimulator> {
  return startSimulator({
    port: config.SIYU_SIM_PORT,
    host: '127.0.0.1',
    clock,
    stateFile: simulatorStateFile(config),
    // Siyu draws the simulated people's avatars (platform/http/avatars.ts): no outside host, no plain http.
    avatarBase: AVATAR_PATH,
  });
}

export const callbackUrl = (publicUrl: string, corpId: string) =>
  `${publicUrl.replace(/\/$/, '')}/wecom/callback/${corpId}`;

/**
 * After a restart the simulator may listen elsewhere and Siyu may too: point every simulated brand's API calls
 * at the simulator, and the simulator's callbacks at Siyu. Returns the brands re-linked.
 */
export async function relinkSimulatedBrands(
  db: Kysely<Tables>,
  simulatorUrl: string,
  publicUrl: string,
): Promise<string[]> {
  const links = await db
    .updateTable('wecom_connections')
    .set({ api_base_url: simulatorUrl })
    .where('simulated', '=', true)
    .returning(['corp_id', 'wecom_corp_id'])
    .execute();
  for (const l of links) {
    const res = await fetch(`${simulatorUrl}/sim/corps/${l.wecom_corp_id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ callback_url: callbackUrl(publicUrl, l.corp_id) }),
    });
    if (!res.ok)
      throw new Error(
        `the simulator does not know corp ${l.wecom_corp_id} of brand ${l.corp_id} (${res.status})`,
      );
  }
  return links.map((l) => l.corp_id);
}

/**
 * Real WeCom: makes sure the configured brand exists (first start: the brand, its HQ unit and an admin
 * account) and is connected with the configured credentials. The password is returned only when created.
 */
export async function connectRealWecom(
  db: Kysely<Tables>,
  pii: Pii,
  config: Config,
  creds: NonNullable<ReturnType<typeof wecomCredentials>>,
): Promise<{ brand: string; adminLogin: string; adminPassword: string | null }> {
  const brand = config.SIYU_BRAND;
  let adminPassword: string | null = null;
  const exists = await db
    .selectFrom('corps')
    .select('corp_id')
    .where('corp_id', '=', brand)
    .executeTakeFirst();
  if (!exists) {
    adminPassword = config.SIYU_ADMIN_PASSWORD ?? randomBytes(9).toString('base64url');
    const hash = await hashPassword(adminPassword);
    await db.transaction().execute(async (tx) => {
      await tx
        .insertInto('corps')
        .values({
          corp_id: brand,
          name: config.SIYU_BRAND_NAME,
          wecom_corp_id: creds.corpId,
          business_type: null,
        })
        .execute();
      const { id } = await tx
        .insertInto('org_units')
        .values({
          corp_id: brand,
          parent_id: null,
          kind: 'hq',
          name: `${config.SIYU_BRAND_NAME}总部`,
          code: 'hq',
          path: '/',
          wecom_dept_id: 1,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await tx
        .updateTable('org_units')
        .set({ path: `/${id}/` })
        .where('corp_id', '=', brand)
        .where('id', '=', id)
        .execute();
      await tx
        .insertInto('accounts')
        .values({
          corp_id: brand,
          username: 'admin',
          display_name: '总部管理员',
          password_hash: hash,
          role: 'hq_admin',
          unit_id: id,
          staff_id: null,
        })
        .execute();
    });
  }
  await saveConnection(db, pii, brand, {
    wecomCorpId: creds.corpId,
    agentId: creds.agentId,
    apiBaseUrl: creds.apiUrl,
    secret: creds.secret,
    callbackToken: creds.token,
    encodingAesKey: creds.encodingAesKey,
    simulated: false,
  });
  return { brand, adminLogin: `admin@${brand}`, adminPassword };
}
