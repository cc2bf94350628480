import { AppError } from '../../platform/http/errors.ts';
import { runInWorker, WorkerOutOfMemory, WorkerStopped } from '../../platform/worker.ts';
import type { FileChunk, FileOrder, FileSummary } from './import-parse-worker.ts';
import type { RowError } from './import-rows.ts';

/**
 * An order file read off the main thread: the API keeps answering while a large file is parsed, and the
 * parse has a heap of its own; a file that does not fit in it is refused with 413, never a crash. Both the
 * dry run and the import job (which reads the stored file again) come through here.
 */

/** The parse worker's heap. A file within the limits (32 MB, 200,000 lines) needs about a gigabyte at most. */
export const PARSE_HEAP_MB = 1536;

export interface ParsedFile extends FileSummary {
  orders: FileOrder[];
  errors: RowError[];
}

/** The worker reading the file stopped before it answered: nothing of the file was used. */
export class ParseStopped extends AppError {}

export async function parseOrderFileOffThread(
  bytes: Uint8Array,
  now: Date,
  opts: { heapMb?: number } = {},
): Promise<ParsedFile> {
  const orders: FileOrder[] = [];
  const errors: RowError[] = [];
  try {
    const summary = await runInWorker<{ bytes: Uint8Array; now: number }, FileChunk, FileSummary>(
      new URL('./import-parse-worker.ts', import.meta.url),
      { bytes, now: now.getTime() },
      {
        resourceLimits: { maxOldGenerationSizeMb: opts.heapMb ?? PARSE_HEAP_MB },
        onChunk: (chunk) => {
          if (chunk.orders) for (const o of chunk.orders) orders.push(o);
          if (chunk.errors) for (const e of chunk.errors) errors.push(e);
        },
      },
    );
    return { ...summary, orders, errors };
  } catch (err) {
    if (err instanceof WorkerOutOfMemory) {
      throw new ParseStopped('payload_too_large', {
        zh: '文件内容过多，超出读取时的内存上限，请拆分后分批导入',
        en: 'The file holds too much to read within the memory limit: split it and import the parts',
      });
    }
    if (err instanceof WorkerStopped) {
      throw new ParseStopped('internal', {
        zh: '读取文件的线程意外停止，没有写入任何订单，请重试',
        en: 'The thread reading the file stopped unexpectedly; no order was written: try again',
      });
    }
    throw err;
  }
}
