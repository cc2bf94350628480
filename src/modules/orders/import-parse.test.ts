import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../platform/http/errors.ts';
import { type WorkerStart, workerEvents } from '../../platform/worker.ts';
import { openTestApp, type TestApp, type TestSession } from '../../testing/app.ts';
import { orderCsv, orderXlsx } from '../../testing/order-files.ts';
import { syncCtx } from '../../testing/sync-ctx.ts';
import { readGrid } from './import-file.ts';
import { parseOrderFileOffThread } from './import-parse.ts';
import { IMPORT_JOB } from './import-runner.ts';
import { createImport, type ImportPreview, runImport } from './import-service.ts';

let t: TestApp;
let admin: TestSession;
let base: string;
beforeAll(async () => {
  t = await openTestApp();
  admin = await t.login(t.fx.logins.admin);
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
});
afterAll(() => t.close());

function upload(body: Buffer, query: Record<string, string> = {}) {
  return t.app.inject({
    method: 'POST',
    url: `/api/v1/order-imports?${new URLSearchParams({ fileName: 'big.csv', dryRun: 'true', ...query })}`,
    headers: {
      cookie: admin.cookie,
      'x-csrf-token': admin.csrfToken,
      'content-type': 'application/octet-stream',
    },
    payload: body,
  });
}

/** Kills the next `n` parse workers as soon as each begins its task, as a crash there would. */
function killWorkers(n: number): () => number {
  let killed = 0;
  const kill = (w: WorkerStart) => {
    void w.terminate();
    if (++killed === n) workerEvents.off('start', kill);
  };
  workerEvents.on('start', kill);
  return () => killed;
}

describe('reading an order file', () => {
  it('leaves the API answering while a large file is parsed', async () => {
    const file = orderCsv(80_000);
    let parsed = false;
    workerEvents.once('end', () => {
      parsed = true;
    });
    const started = once(workerEvents, 'start');
    const dryRun = upload(file);
    await Promise.race([started, dryRun]);
    // over a socket: answering it needs the main thread's event loop, which a parse there would hold
    const list = await fetch(`${base}/api/v1/order-imports`, { headers: { cookie: admin.cookie } });
    expect(list.status).toBe(200);
    // the other request was answered while the file was still being read
    expect(parsed).toBe(false);
    const res = await dryRun;
    expect(parsed).toBe(true);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json() as ImportPreview).toMatchObject({ lines: 80_000, orders: 80_000, valid: 80_000 });
  });

  it('refuses a file of more than 200,000 lines with 400, reading no further than the line over', async () => {
    const res = await upload(orderCsv(200_001));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain('200000');
    const csv = orderCsv(1_000);
    await expect(readGrid(csv, { maxRows: 1_000 })).rejects.toMatchObject({
      detail: { en: expect.stringContaining('more than 999 rows') },
    });
    expect((await readGrid(csv, { maxRows: 1_001 })).rows).toHaveLength(1_001);
  });

  it('counts the rows of an .xlsx as its sheet streams, before reading it whole', async () => {
    const file = orderXlsx(1_000);
    await expect(readGrid(file, { maxRows: 1_000 })).rejects.toMatchObject({
      code: 'bad_request',
      detail: { en: expect.stringContaining('more than 999 rows') },
    });
    expect((await readGrid(file, { maxRows: 1_001 })).rows).toHaveLength(1_001);
  });

  it('refuses a file that does not fit in the parse heap with 413, and goes on serving', async () => {
    const refused = parseOrderFileOffThread(orderCsv(100_000), new Date(), { heapMb: 16 });
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ code: 'payload_too_large' });
    const ok = await parseOrderFileOffThread(orderCsv(10), new Date());
    expect(ok.orders).toHaveLength(10);
  });
});

describe('when the worker reading a file dies', () => {
  it('answers the dry run with a clear error, writes nothing, and reads the next file', async () => {
    const killed = killWorkers(1);
    const res = await upload(orderCsv(2_000), { dryRun: 'false' });
    expect(killed()).toBe(1);
    expect(res.statusCode).toBe(500);
    expect(res.json().error.message).toBe('读取文件的线程意外停止，没有写入任何订单，请重试');
    const imports = await t.database.db
      .selectFrom('order_imports')
      .select('id')
      .where('corp_id', '=', 'acme')
      .execute();
    expect(imports).toEqual([]);
    const again = await upload(orderCsv(2_000));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ valid: 2_000 });
  });

  it('keeps an import where it was and reads its file again: nothing lost, nothing twice', async () => {
    const ctx = syncCtx(t.database);
    const file = orderCsv(6);
    const { job } = await createImport(
      ctx,
      { accountId: null, scopeUnitId: null },
      { fileName: 'd.csv', source: 'died', bytes: file },
    );
    let batches = 0;
    const stopped = await runImport(ctx, job.id, { batchSize: 2, shouldStop: () => batches++ >= 1 });
    expect(stopped).toMatchObject({ status: 'running', processed: 2, created: 2 });

    const killed = killWorkers(1);
    const after = await runImport(ctx, job.id, { batchSize: 2 });
    expect(killed()).toBe(1);
    expect(after).toMatchObject({ status: 'running', processed: 2, created: 2, failure: null });
    // the runner takes it up again at once, from its cursor
    await t.app.runtime.runJob(IMPORT_JOB);
    const row = await t.database.db
      .selectFrom('order_imports')
      .select(['status', 'created', 'duplicates', 'failure'])
      .where('corp_id', '=', 'acme')
      .where('id', '=', job.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'done', created: 6, duplicates: 0, failure: null });
  });

  it('fails an import whose worker dies three times, with the reason; the orders written stay', async () => {
    const ctx = syncCtx(t.database);
    const { job } = await createImport(
      ctx,
      { accountId: null, scopeUnitId: null },
      { fileName: 'd3.csv', source: 'died3', bytes: orderCsv(4) },
    );
    let batches = 0;
    await runImport(ctx, job.id, { batchSize: 2, shouldStop: () => batches++ >= 1 });
    const killed = killWorkers(3);
    expect(await runImport(ctx, job.id)).toMatchObject({ status: 'running', processed: 2 });
    expect(await runImport(ctx, job.id)).toMatchObject({ status: 'running', processed: 2 });
    const failed = await runImport(ctx, job.id);
    expect(killed()).toBe(3);
    expect(failed).toMatchObject({ status: 'failed', processed: 2, created: 2 });
    expect(failed!.failure).toContain('The thread reading the file stopped 3 times');
    expect(failed!.failure).toContain('读取文件的线程 3 次意外停止');
  });
});
