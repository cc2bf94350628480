import {
  ApartmentOutlined,
  AreaChartOutlined,
  AuditOutlined,
  BlockOutlined,
  CarryOutOutlined,
  CommentOutlined,
  ContactsOutlined,
  CrownOutlined,
  DashboardOutlined,
  FileImageOutlined,
  FilterOutlined,
  FireOutlined,
  FundOutlined,
  IdcardOutlined,
  ImportOutlined,
  KeyOutlined,
  NodeIndexOutlined,
  QrcodeOutlined,
  SendOutlined,
  SwapOutlined,
  TagsOutlined,
  TeamOutlined,
  UserSwitchOutlined,
  WechatWorkOutlined,
} from '@ant-design/icons';
import type { ParseKeys } from 'i18next';
import { type ComponentType, lazy, type ReactNode } from 'react';
import type { Role } from '../features/accounts/api';

export interface PageEntry {
  /** Its routes inside the signed-in shell, e.g. ['segments', 'segments/:id']; the menu links to the first. */
  paths: readonly string[];
  /** Loaded when first visited. */
  page: ComponentType;
  /** The page's side-menu entry (menu order is this list's order); a detail page has none. */
  menu?: {
    icon: ReactNode;
    label: ParseKeys;
    /** Only these roles see the entry; everyone when absent. */
    roles?: readonly Role[];
  };
}

/**
 * Every page of the signed-in console, one entry each: a page lives in its feature folder
 * (features/<module>/) and is registered here, and nowhere else.
 */
export const PAGES: readonly PageEntry[] = [
  {
    paths: ['home'],
    page: lazy(() => import('../features/insight/HomePage')),
    menu: { icon: <DashboardOutlined />, label: 'home.menu' },
  },
  {
    paths: ['insight'],
    page: lazy(() => import('../features/insight/InsightPage')),
    menu: {
      icon: <AreaChartOutlined />,
      label: 'insight.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['levers'],
    page: lazy(() => import('../features/insight/LeversPage')),
    menu: {
      icon: <FundOutlined />,
      label: 'levers.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['org'],
    page: lazy(() => import('../features/org/OrgPage')),
    menu: { icon: <ApartmentOutlined />, label: 'org.menu' },
  },
  {
    paths: ['staff'],
    page: lazy(() => import('../features/staff/StaffPage')),
    menu: { icon: <TeamOutlined />, label: 'staff.menu' },
  },
  {
    paths: ['persona-matrix'],
    page: lazy(() => import('../features/staff/PersonaMatrixPage')),
    menu: {
      icon: <IdcardOutlined />,
      label: 'personaMatrix.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },

  {
    paths: ['customers'],
    page: lazy(() => import('../features/customers/CustomersPage')),
    menu: { icon: <ContactsOutlined />, label: 'customers.menu' },
  },
  { paths: ['customers/:id'], page: lazy(() => import('../features/customers/CustomerProfilePage')) },
  {
    paths: ['super-users'],
    page: lazy(() => import('../features/customers/SuperUsersPage')),
    menu: { icon: <CrownOutlined />, label: 'superUsers.menu' },
  },
  {
    paths: ['tasks', 'tasks/mine'],
    page: lazy(() => import('../features/tasks/TasksPage')),
    menu: { icon: <CarryOutOutlined />, label: 'tasks.menu' },
  },
  {
    paths: ['content'],
    page: lazy(() => import('../features/content/ContentPage')),
    menu: { icon: <FileImageOutlined />, label: 'content.menu' },
  },
  {
    paths: ['moments'],
    page: lazy(() => import('../features/moments/MomentsPage')),
    menu: {
      icon: <FireOutlined />,
      label: 'moments.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  { paths: ['moments/:id'], page: lazy(() => import('../features/moments/MomentPage')) },
  {
    paths: ['channels'],
    page: lazy(() => import('../features/channels/ChannelsPage')),
    menu: { icon: <QrcodeOutlined />, label: 'channels.menu' },
  },
  {
    paths: ['groups'],
    page: lazy(() => import('../features/groups/GroupsPage')),
    menu: { icon: <CommentOutlined />, label: 'groups.menu' },
  },
  { paths: ['groups/:id'], page: lazy(() => import('../features/groups/GroupPage')) },
  {
    paths: ['tags'],
    page: lazy(() => import('../features/tags/TagsPage')),
    menu: { icon: <TagsOutlined />, label: 'tags.menu' },
  },
  {
    paths: ['segments', 'segments/:id'],
    page: lazy(() => import('../features/segments/SegmentsPage')),
    menu: { icon: <FilterOutlined />, label: 'segments.menu' },
  },
  {
    paths: ['layers', 'layers/:id'],
    page: lazy(() => import('../features/segments/LayersPage')),
    menu: { icon: <BlockOutlined />, label: 'layers.menu' },
  },
  {
    paths: ['mass-sends', 'mass-sends/:id'],
    page: lazy(() => import('../features/outreach/MassSendsPage')),
    menu: {
      icon: <SendOutlined />,
      label: 'massSends.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['journeys', 'journeys/:id'],
    page: lazy(() => import('../features/journeys/JourneysPage')),
    menu: {
      icon: <NodeIndexOutlined />,
      label: 'journeys.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['transfers'],
    page: lazy(() => import('../features/transfers/TransfersPage')),
    menu: {
      icon: <SwapOutlined />,
      label: 'transfers.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['order-import'],
    page: lazy(() => import('../features/orders/OrderImportPage')),
    menu: {
      icon: <ImportOutlined />,
      label: 'orderImport.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['people'],
    page: lazy(() => import('../features/accounts/PeoplePage')),
    menu: {
      icon: <UserSwitchOutlined />,
      label: 'people.menu',
      roles: ['hq_admin', 'region_manager', 'store_manager'],
    },
  },
  {
    paths: ['wecom'],
    page: lazy(() => import('../features/connector/WecomPage')),
    menu: { icon: <WechatWorkOutlined />, label: 'wecom.menu', roles: ['hq_admin'] },
  },
  {
    paths: ['secrets'],
    page: lazy(() => import('../features/secrets/SecretsPage')),
    menu: { icon: <KeyOutlined />, label: 'secrets.menu', roles: ['hq_admin'] },
  },
  {
    paths: ['audit'],
    page: lazy(() => import('../features/audit/AuditPage')),
    menu: { icon: <AuditOutlined />, label: 'audit.menu', roles: ['hq_admin'] },
  },
];
