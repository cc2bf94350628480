/** The shared components' strings: Chinese (the default) and English, with the same keys. */
export const zh = {
  lang: {
    label: '语言',
    zh: '中文',
    en: 'English',
  },
  common: {
    loading: '加载中…',
    retry: '重试',
    none: '—',
    reset: '重置',
    loadFailed: '加载失败',
    prevPage: '上一页',
    nextPage: '下一页',
    page: '第 {{page}} 页',
    requestId: '请求编号：{{id}}',
    export: '导出',
    exportXlsx: '导出 Excel（.xlsx）',
    exportCsv: '导出 CSV',
    exportHint: '手机号脱敏；每次导出都会记入审计日志',
  },
};

export const en: typeof zh = {
  lang: {
    label: 'Language',
    zh: '中文',
    en: 'English',
  },
  common: {
    loading: 'Loading…',
    retry: 'Retry',
    none: '—',
    reset: 'Reset',
    loadFailed: 'Could not load',
    prevPage: 'Previous',
    nextPage: 'Next',
    page: 'Page {{page}}',
    requestId: 'Request ID: {{id}}',
    export: 'Export',
    exportXlsx: 'Export Excel (.xlsx)',
    exportCsv: 'Export CSV',
    exportHint: 'Phones masked; every export is recorded in the audit log',
  },
};
