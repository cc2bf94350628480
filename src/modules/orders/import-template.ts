import writeXlsxFile, { type Row } from 'write-excel-file/node';
import { COLUMNS } from './import-rows.ts';

const TEXT = '@';
/** Columns kept as text so Excel does not turn long numbers (order numbers, phones) into 1.38E+10. */
const AS_TEXT = new Set([
  'orderNo',
  'storeCode',
  'productCode',
  'couponCode',
  'phone',
  'unionid',
  'openid',
  'externalUserid',
]);

const EXAMPLES: string[][] = [
  [
    'SO20260601001',
    'sh1',
    '小程序',
    '2026-06-01 12:30:00',
    'T001',
    '杨枝甘露',
    '2',
    '18.5',
    '30',
    '37',
    'NEW10',
    '7',
    '13800138000',
    '',
    '',
    '',
  ],
  ['SO20260601001', '', '', '', 'T009', '加料：椰果', '1', '0', '', '', '', '', '', '', '', ''],
  [
    'TM88000123',
    '',
    '电商',
    '2026-06-02 09:15:00',
    'G100',
    '礼盒装',
    '1',
    '128',
    '128',
    '128',
    '',
    '',
    '',
    'o6_bmasdasdsad6_2sgVt7hMZOPfL',
    '',
    '',
  ],
];

/** The import template: sheet 订单 (the header and example orders), sheet 说明 (each column explained). */
export async function importTemplate(): Promise<Buffer> {
  const header: Row = COLUMNS.map((c) => ({ value: c.zh, fontWeight: 'bold', backgroundColor: '#E6F4FF' }));
  const examples: Row[] = EXAMPLES.map((row) =>
    row.map((value, i) => {
      const col = COLUMNS[i]!;
      if (value === '') return null;
      if (
        AS_TEXT.has(col.key) ||
        col.key === 'orderedAt' ||
        col.key === 'channel' ||
        col.key === 'productName'
      )
        return { value, type: String, format: TEXT };
      return { value: Number(value), type: Number };
    }),
  );
  const notes: Row[] = [
    ['列', '必填', '说明', 'Column', 'Required', 'Notes'].map((value) => ({
      value,
      fontWeight: 'bold' as const,
    })),
    ...COLUMNS.map((c) => [
      c.zh,
      c.required ? '是' : '',
      c.note.zh,
      c.en,
      c.required ? 'yes' : '',
      c.note.en,
    ]),
    [],
    [
      '一行是一张订单的一个商品；订单号相同的行合为一张订单，订单级的列（门店、渠道、时间、金额、优惠、顾客）在第二行起可留空。任一行有错，整张订单不导入，其他订单照常导入。',
    ],
    [
      'One row is one product line of an order; the rows with the same order number make one order, and its order columns (store, channel, time, amounts, coupon, customer) may stay blank after its first row. An order with any bad row is not imported at all; the other orders are.',
    ],
  ];
  return writeXlsxFile([
    {
      sheet: '订单',
      data: [header, ...examples],
      columns: COLUMNS.map((c) => ({ width: Math.max(12, c.zh.length * 2 + 4) })),
      stickyRowsCount: 1,
    },
    {
      sheet: '说明',
      data: notes,
      columns: [{ width: 16 }, { width: 6 }, { width: 60 }, { width: 16 }, { width: 9 }, { width: 60 }],
    },
  ]).toBuffer();
}
