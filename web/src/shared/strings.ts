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
    exportPhones: '手机号',
    exportMasked: '脱敏（如 138****5678）',
    exportFull: '完整手机号',
    exportFullNotice:
      '完整手机号仅总部管理员可导出：本次导出（操作人、时间、筛选条件、行数）会记入审计日志，文件请妥善保管，勿外传。',
    exportGo: '导出',
    cancel: '取消',
    more: '展开详情',
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
    exportPhones: 'Phones',
    exportMasked: 'Masked (e.g. 138****5678)',
    exportFull: 'Full phone numbers',
    exportFullNotice:
      'Only HQ admins may export full phone numbers: this export (who, when, filter, rows) is recorded in the audit log. Keep the file safe and do not pass it on.',
    exportGo: 'Export',
    cancel: 'Cancel',
    more: 'Details',
  },
};
