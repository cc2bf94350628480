/** The integrator secrets page's strings: Chinese (the default) and English, with the same keys. */
export const zh = {
  secrets: {
    menu: '对接密钥',
    title: '对接密钥',
    subtitle:
      '小程序、收银、会员系统推送订单和会员用的签名密钥；创建时只显示一次，可随时吊销，均记入审计日志',
    source: '来源',
    sourcePlaceholder: '如 miniprogram、pos-east',
    create: '创建密钥',
    createdAt: '创建时间',
    lastUsedAt: '最近使用',
    never: '从未使用',
    status: '状态',
    live: '有效',
    revoked: '已吊销 {{at}}',
    revoke: '吊销',
    revokeConfirm: '吊销后，使用该密钥的请求将被拒绝。确定吊销？',
    shownOnce: '请立即复制保存：密钥只显示这一次',
    copied: '已复制',
    empty: '还没有对接密钥',
  },
};

export const en: typeof zh = {
  secrets: {
    menu: 'Secrets',
    title: 'Integration secrets',
    subtitle:
      'Signing secrets for the mini-program, tills and membership system sending orders and members; shown once at creation, revocable, all audited',
    source: 'Source',
    sourcePlaceholder: 'e.g. miniprogram, pos-east',
    create: 'Create secret',
    createdAt: 'Created',
    lastUsedAt: 'Last used',
    never: 'Never',
    status: 'Status',
    live: 'Live',
    revoked: 'Revoked {{at}}',
    revoke: 'Revoke',
    revokeConfirm: 'Requests signed with this secret will be refused. Revoke it?',
    shownOnce: 'Copy it now: the secret is shown only this once',
    copied: 'Copied',
    empty: 'No secrets yet',
  },
};
