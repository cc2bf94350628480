/**
 * Welcome benchmark: customers scan a channel code at a steady rate in the WeCom simulator; each add is a
 * real encrypted callback to Siyu, which attributes it and sends the channel's welcome through the outbox's
 * welcome lane. Prints p50/p99 from the add (the moment WeCom issued the WelcomeCode) to the welcome
 * accepted by the simulator, and the share sent inside WeCom's 20 s window.
 *
 *   npm run bench:welcome                                                       # PGlite, 100 adds/s for 20 s
 *   DATABASE_URL=$(bash scripts/pg-test-server.sh start) npm run bench:welcome  # PostgreSQL, 150 adds/s for 20 s
 *   npm run bench:welcome -- --rate 300 --seconds 30
 *
 * The simulator runs in the same process as Siyu (as under `siyu start`), with WeCom's per-minute rate
 * limit lifted; the adds are generated in process, the callbacks go over loopback HTTP.
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createChannel, getChannel } from '../src/modules/channels/service.ts';
import type { Actor } from '../src/platform/actor.ts';
import { systemClock } from '../src/platform/clock.ts';
import { corpDb } from '../src/platform/db/corp-db.ts';
import { createPii } from '../src/platform/pii.ts';
import { scanContactWay } from '../src/simulator/contact-ways.ts';
import { createCustomer } from '../src/simulator/contacts.ts';
import { summarize } from './protocol.ts';
import { BRAND, CORP, openBenchDatabase, seedWorld, startSiyu } from './setup.ts';

const HELP = `npm run bench:welcome -- [options]
  --rate N      adds per second (default 150 on PostgreSQL, 100 on PGlite)
  --seconds N   how long to add customers (default 20)`;

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string' },
    seconds: { type: 'string', default: '20' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const line = (label: string, value: string) => console.log(`  ${label.padEnd(22)} ${value}`);
const ms = (v: number) => `${v.toFixed(0)} ms`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

const bench = await openBenchDatabase();
let failed = false;
try {
  const { database } = bench;
  const rate = Number(args.rate ?? (database.kind === 'pglite' ? 100 : 150));
  const seconds = Number(args.seconds);
  if (!(rate > 0 && rate <= 5000) || !(seconds > 0 && seconds <= 600)) {
    throw new Error('--rate must be in (0, 5000] and --seconds in (0, 600]');
  }
  const secretKey = randomBytes(32).toString('hex');
  const { simulator } = await seedWorld(database, secretKey, 0);
  const siyu = await startSiyu(database, secretKey);
  siyu.runtime.start();
  const corp = simulator.sim.findCorp(CORP.corpid)!;
  corp.callback_url = `${siyu.url}/wecom/callback/${BRAND}`;

  // A pool channel over every staff member, with a welcome that uses the variables and the bait.
  const root = await database.db
    .selectFrom('org_units')
    .select('id')
    .where('corp_id', '=', BRAND)
    .executeTakeFirstOrThrow();
  const staff = await database.db
    .selectFrom('staff')
    .select('id')
    .where('corp_id', '=', BRAND)
    .orderBy('id')
    .execute();
  const actor: Actor = {
    corpId: BRAND,
    accountId: 0,
    role: 'hq_admin',
    unitId: root.id,
    seesWholeCorp: true,
    unitIds: [root.id],
    staffId: null,
  };
  const ctx = { cdb: corpDb(database.db, BRAND), actor, clock: systemClock, pii: createPii(secretKey) };
  const created = await createChannel(ctx, {
    name: '压测台卡',
    scene: '收银台',
    method: 'table_card',
    bait: '第二杯半价券',
    unitId: root.id,
    assignMode: 'pool',
    poolStrategy: 'round_robin',
    dailyCap: null,
    workingHours: null,
    skipVerify: true,
    remarkTemplate: '',
    welcome: {
      text: '{客户昵称}你好，我是{员工}，送你一张{诱饵}',
      link: { title: '本周新品', url: 'https://example.com/new' },
    },
    staff: staff.map((s) => ({ staffId: s.id, backup: false })),
    tagIds: [],
  });
  siyu.runtime.sender.kick();
  let configId: string | null = null;
  for (let i = 0; i < 100 && !configId; i++) {
    await sleep(100);
    configId = (await getChannel(ctx, created.id)).codes[0]?.configId ?? null;
  }
  if (!configId) throw new Error('the channel code was never created in the simulator');

  const cpu = cpus();
  console.log('Siyu welcome benchmark');
  line('database', bench.label);
  line(
    'machine',
    `${cpu.length} cores (${cpu[0]?.model.trim() ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)}`,
  );
  line('load', `${rate} adds/s for ${seconds} s through one channel code (8 staff, round robin)`);

  // Adds at a steady rate: each tick catches up with the schedule.
  const total = Math.round(rate * seconds);
  const codes: string[] = [];
  const t0 = Date.now();
  let made = 0;
  while (made < total) {
    const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate) + 1);
    for (; made < due; made++) {
      const customer = createCustomer(simulator.sim, corp, {
        name: `扫码客户${made}`,
        gender: (made % 3) as 0 | 1 | 2,
      });
      const added = scanContactWay(simulator.sim, corp, {
        config_id: configId,
        external_userid: customer.external_userid,
      });
      if (added.welcome_code) codes.push(added.welcome_code);
    }
    await sleep(5);
  }
  const addSeconds = (Date.now() - t0) / 1000;
  line(
    'adds',
    `${made} in ${addSeconds.toFixed(1)} s (${Math.round(made / addSeconds)}/s), ${codes.length} with a WelcomeCode`,
  );

  // Wait until every welcome is sent or its window is over (plus the outbox's expiry pass).
  const deadline = Date.now() + 30_000;
  const used = () => codes.filter((c) => corp.welcome_codes[c]?.used_at_ms != null).length;
  while (Date.now() < deadline && used() < codes.length) await sleep(250);

  const latencies = codes
    .map((c) => corp.welcome_codes[c]!)
    .filter((w) => w.used_at_ms !== null)
    .map((w) => w.used_at_ms! - w.issued_at_ms);
  const s = summarize(latencies);
  const inWindow = latencies.filter((v) => v <= 20_000).length;
  console.log('\nAdd → welcome accepted by WeCom (the simulator):');
  line('welcomes sent', `${latencies.length} of ${codes.length}`);
  line(
    'latency',
    `p50 ${ms(s.p50)} · p90 ${ms(s.p90)} · p99 ${ms(s.p99)} · max ${ms(s.max)} · mean ${ms(s.mean)}`,
  );
  line('within 20 s', `${((100 * inWindow) / Math.max(1, codes.length)).toFixed(2)} % of the adds`);
  const outbox = await database.db
    .selectFrom('wecom_outbox')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('lane', '=', 'welcome')
    .groupBy('status')
    .execute();
  line('welcome lane', outbox.map((r) => `${r.status} ${r.n}`).join(', '));
  // Where the time goes: callback received → inbox row handled (welcome enqueued) → welcome sent.
  const stages = await sql<{ inbox_ms: number; outbox_ms: number }>`
    select extract(epoch from (i.done_at - i.received_at)) * 1000 as inbox_ms,
           extract(epoch from (o.done_at - o.created_at)) * 1000 as outbox_ms
    from wecom_inbox i
    join wecom_outbox o on o.corp_id = i.corp_id and o.idem_key = 'welcome:' || (i.event ->> 'welcomeCode')
    where i.event_type = 'add_external_contact' and i.done_at is not null and o.done_at is not null`.execute(
    database.db,
  );
  const inboxS = summarize(stages.rows.map((r) => Number(r.inbox_ms)));
  const outboxS = summarize(stages.rows.map((r) => Number(r.outbox_ms)));
  line(
    '  received → handled',
    `p50 ${ms(inboxS.p50)} · p99 ${ms(inboxS.p99)} (inbox: customer read from WeCom, add attributed, welcome enqueued)`,
  );
  line('  enqueued → sent', `p50 ${ms(outboxS.p50)} · p99 ${ms(outboxS.p99)} (outbox welcome lane)`);
  const errors = siyu.handlerErrors();
  if (errors.count) line('worker warnings', `${errors.count}; first: ${errors.first[0]?.slice(0, 300)}`);
  if (latencies.length !== codes.length) failed = true;

  await siyu.app.close();
  await simulator.close();
} catch (err) {
  console.error(err);
  failed = true;
} finally {
  await bench.dispose();
}
process.exit(failed ? 1 : 0);
