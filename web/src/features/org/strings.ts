/** The org feature's strings: Chinese (the default) and English, with the same keys. */
export const zh = {
  org: {
    menu: '组织架构',
    title: '组织架构',
    subtitle: '您可见范围内的组织单元、员工与客户',
    treeTitle: '组织树',
    searchUnit: '搜索组织单元',
    staffCount: '员工 {{n}}',
    customerCount: '客户 {{n}}',
    selectHint: '在左侧选择一个组织单元，查看其员工',
    unitStaff: '{{name}} · 员工',
    empty: '暂无组织单元',
    code: '编码：{{code}}',
  },
  unitKind: {
    hq: '总部',
    region: '大区',
    area: '片区',
    store: '门店',
    team: '小组',
  },
};

export const en: typeof zh = {
  org: {
    menu: 'Organisation',
    title: 'Organisation',
    subtitle: 'Units, staff and customers within your scope',
    treeTitle: 'Org tree',
    searchUnit: 'Search units',
    staffCount: 'Staff {{n}}',
    customerCount: 'Customers {{n}}',
    selectHint: 'Select a unit on the left to see its staff',
    unitStaff: '{{name}} · staff',
    empty: 'No units',
    code: 'Code: {{code}}',
  },
  unitKind: {
    hq: 'HQ',
    region: 'Region',
    area: 'Area',
    store: 'Store',
    team: 'Team',
  },
};
