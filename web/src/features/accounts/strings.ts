/** The accounts feature's strings: Chinese (the default) and English, with the same keys. */
export const zh = {
  login: {
    title: '登录控制台',
    subtitle: '企业微信私域运营平台',
    account: '账号',
    accountPlaceholder: '用户名@品牌，例如 admin@demo',
    accountRequired: '请输入账号',
    password: '密码',
    passwordPlaceholder: '请输入密码',
    passwordRequired: '请输入密码',
    submit: '登录',
    failed: '登录失败',
  },
  role: {
    hq_admin: '总部管理员',
    region_manager: '大区经理',
    store_manager: '门店店长',
    staff: '一线员工',
  },
};

export const en: typeof zh = {
  login: {
    title: 'Sign in to the console',
    subtitle: 'Private-domain operations on WeCom',
    account: 'Account',
    accountPlaceholder: 'username@brand, e.g. admin@demo',
    accountRequired: 'Enter your account',
    password: 'Password',
    passwordPlaceholder: 'Enter your password',
    passwordRequired: 'Enter your password',
    submit: 'Sign in',
    failed: 'Sign-in failed',
  },
  role: {
    hq_admin: 'HQ admin',
    region_manager: 'Region manager',
    store_manager: 'Store manager',
    staff: 'Front-line staff',
  },
};
