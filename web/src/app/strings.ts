/** The app frame's strings: Chinese (the default) and English, with the same keys. */
export const zh = {
  app: {
    name: 'Siyu 私域',
    title: 'Siyu 私域运营平台',
  },
  shell: {
    logout: '退出登录',
    logoutDone: '已退出登录',
    sessionExpired: '登录已过期，请重新登录',
    collapse: '收起菜单',
    menu: '菜单',
  },
  notFound: {
    title: '页面不存在',
    back: '回到首页',
  },
};

export const en: typeof zh = {
  app: {
    name: 'Siyu',
    title: 'Siyu private-domain console',
  },
  shell: {
    logout: 'Sign out',
    logoutDone: 'Signed out',
    sessionExpired: 'Your session has expired; sign in again',
    collapse: 'Collapse menu',
    menu: 'Menu',
  },
  notFound: {
    title: 'Page not found',
    back: 'Go to the home page',
  },
};
