import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../platform/http/errors.ts';
import { type Deps, syncCtxOf } from '../context.ts';
import { yuan } from './import-rows.ts';
import {
  createImport,
  errorsCsv,
  type ImportJob,
  type ImportPreview,
  importErrors,
  importSource,
  previewImport,
  type ReportError,
  reportName,
  runImport,
} from './import-service.ts';

/** `siyu import orders FILE`: the API's code path (check, then a job in batches), with a terminal progress bar. */

export interface ImportCliOptions {
  path: string;
  bytes: Uint8Array;
  source: string;
  dryRun: boolean;
  /** Where the error report goes; default beside the file, as NAME-errors.csv. */
  report?: string;
}

export interface Terminal {
  write(text: string): void;
  isTTY: boolean;
}

const stdout: Terminal = {
  write: (text) => process.stdout.write(text),
  get isTTY() {
    return Boolean(process.stdout.isTTY);
  },
};

/** Exit code: 0 every order imported (or importable), 2 some orders rejected (see the report), 1 failed. */
export async function importOrdersCli(
  deps: Deps,
  corpId: string,
  opts: ImportCliOptions,
  term: Terminal = stdout,
): Promise<number> {
  const ctx = syncCtxOf(deps, corpId);
  const importer = { accountId: null, scopeUnitId: null };
  const file = { fileName: basename(opts.path), source: opts.source, bytes: opts.bytes };
  const say = (line = '') => term.write(`${line}\n`);
  const reportPath = opts.report ?? join(dirname(opts.path), reportName(file.fileName));
  const saveReport = async (errors: ReportError[], total: number) => {
    if (!total) return;
    await writeFile(reportPath, errorsCsv(errors));
    say(`错误报告 Error report: ${reportPath} (${total} 行 rows)`);
  };

  try {
    if (opts.dryRun) {
      say(`试运行 Dry run: ${file.fileName} → ${corpId}, source ${importSource(file.source)}`);
      const p = await previewImport(ctx, importer, file);
      printCounts(say, p);
      printSample(say, p);
      printErrors(say, p.errors, p.errorCount);
      await saveReport(p.errors, p.errorCount);
      say('未写入任何数据 Nothing was written (dry run).');
      return p.invalid ? 2 : 0;
    }

    say(`导入 Importing ${file.fileName} → ${corpId}, source ${importSource(file.source)}`);
    const { job, checked } = await createImport(ctx, importer, file);
    let stop = false;
    const onSigint = () => {
      stop = true;
    };
    process.once('SIGINT', onSigint);
    const bar = progressBar(term);
    bar(job);
    const done = await runImport(ctx, job.id, { checked, onProgress: bar, shouldStop: () => stop }).finally(
      () => process.off('SIGINT', onSigint),
    );
    if (!done) throw new Error(`import ${job.id} is held by another process`);
    if (done.status === 'running') {
      say(
        `已中断 Stopped at ${done.processed}/${done.orders}. Import ${done.id} resumes when Siyu starts; running this command again is safe too (nothing is imported twice).`,
      );
      return 1;
    }
    say(
      `${done.status === 'done' ? '完成 Done' : '失败 Failed'}: 新建 created ${done.created} · 已存在 duplicates ${done.duplicates} · 有错 invalid ${done.invalid} (import ${done.id})`,
    );
    if (done.failure) say(`原因 Reason: ${done.failure}`);
    const errors = await importErrors(ctx, done.id);
    printErrors(say, errors, errors.length);
    await saveReport(errors, errors.length);
    if (done.status === 'failed') return 1;
    return done.invalid ? 2 : 0;
  } catch (err) {
    if (err instanceof AppError && err.detail) {
      say(`${err.detail.zh}\n${err.detail.en}`);
      return 1;
    }
    throw err;
  }
}

function printCounts(say: (s: string) => void, p: ImportPreview) {
  say(
    `  明细行 lines ${p.lines} · 订单 orders ${p.orders} · 将新建 would create ${p.wouldCreate} · 已导入 duplicates ${p.duplicates} · 有错 invalid ${p.invalid}`,
  );
  if (p.ignoredColumns.length) say(`  未识别的列（已忽略）Ignored columns: ${p.ignoredColumns.join(', ')}`);
}

function printSample(say: (s: string) => void, p: ImportPreview) {
  if (!p.sample.length) return;
  say(
    '  行 row | 订单号 order | 门店 store | 渠道 channel | 下单时间 time | 商品 product | 数量 qty | 单价 price | 实付 paid',
  );
  for (const l of p.sample.slice(0, 10)) {
    say(
      `  ${l.row} | ${l.orderNo}${l.duplicate ? ' (已导入 duplicate)' : ''} | ${l.storeCode ?? '-'} | ${l.channel} | ${l.orderedAt} | ${l.productCode} ${l.productName} | ${l.quantity} | ${yuan(l.priceFen)} | ${yuan(l.paidFen)}`,
    );
  }
}

const SHOWN_ERRORS = 20;

function printErrors(say: (s: string) => void, errors: ReportError[], total: number) {
  for (const e of errors.slice(0, SHOWN_ERRORS)) {
    say(`  第 ${e.row} 行 row ${e.row}, ${e.column}${e.orderNo ? ` [${e.orderNo}]` : ''}: ${e.zh} / ${e.en}`);
  }
  if (total > SHOWN_ERRORS) say(`  … ${total - SHOWN_ERRORS} more`);
}

/** A bar redrawn in place on a terminal; elsewhere (a log, a pipe) one line per tenth of the way. */
function progressBar(term: Terminal): (job: ImportJob) => void {
  let lastTenth = -1;
  let lastLine = '';
  return (job) => {
    const ratio = job.orders ? job.processed / job.orders : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    const line = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${job.processed}/${job.orders} orders · created ${job.created} · duplicates ${job.duplicates} · invalid ${job.invalid}`;
    if (term.isTTY) {
      term.write(`\r${line}${job.status === 'running' ? '' : '\n'}`);
      return;
    }
    const tenth = Math.floor(ratio * 10);
    if ((tenth === lastTenth && job.status === 'running') || line === lastLine) return;
    lastTenth = tenth;
    lastLine = line;
    term.write(`${line}\n`);
  };
}
