import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Empty, Flex, Input, Segmented, Select, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router-dom';
import { useLang } from '../../i18n';
import { CursorPager, ErrorAlert, PageHeader } from '../../shared/components';
import { formatMoney } from '../../shared/format';
import { useCursorPages } from '../../shared/hooks';
import { setParams } from '../../shared/params';
import { useMe } from '../accounts/auth';
import { mayCreate } from '../accounts/permissions';
import { type ContentItem, type ContentQuery, contentApi, KINDS, PERSONAS, SCENES, STAGES } from './api';
import { ContentEditor } from './ContentEditor';

const PAGE_SIZE = 20;
const OWNERS = ['own', 'inherited', 'below'] as const;
type Shown = 'all' | 'materials' | 'scripts';

const oneOf = <T extends string>(list: readonly T[], v: string | null): T | undefined =>
  (list as readonly (string | null)[]).includes(v) ? (v as T) : undefined;

function ItemCard({ item, onOpen }: { item: ContentItem; onOpen(): void }) {
  const { t } = useTranslation();
  const lang = useLang();
  const { usage } = item;
  return (
    <Card
      size="small"
      hoverable
      onClick={onOpen}
      data-testid="content-card"
      title={
        <Flex gap={6} align="center" wrap>
          <span className="content-card-title">{item.title}</span>
        </Flex>
      }
      extra={
        <Flex gap={4}>
          {item.script ? <Tag color="green">{t('content.script')}</Tag> : null}
          <Tag color="blue">{t(`content.kind.${item.kind}`)}</Tag>
        </Flex>
      }
    >
      <Typography.Paragraph ellipsis={{ rows: 3 }} style={{ marginBottom: 8, whiteSpace: 'pre-wrap' }}>
        {item.text || '—'}
      </Typography.Paragraph>
      <Flex gap={4} wrap style={{ marginBottom: 8 }}>
        {item.scenes.map((s) => (
          <Tag key={s}>{t(`content.scene.${s}` as never)}</Tag>
        ))}
        {item.stages.map((s) => (
          <Tag key={s} color="purple">
            {t(`content.stage.${s}` as never)}
          </Tag>
        ))}
        {item.products.map((p) => (
          <Tag key={p} color="orange">
            {p}
          </Tag>
        ))}
      </Flex>
      <Flex vertical gap={2}>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('content.from', { unit: item.unitName })}
          {item.key ? ` · ${item.key}` : ''}
          {item.editable ? '' : ` · ${t('content.readOnly')}`}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }} data-testid="content-usage">
          {t('content.usage', { uses: usage.uses, customers: usage.customers })}
          {' · '}
          {t('content.followed', { orders: usage.orders, gmv: formatMoney(usage.gmvFen, lang) })}
        </Typography.Text>
      </Flex>
    </Card>
  );
}

/** 素材库 / 话术库: the library as the caller sees it, with filters, search and the editor. */
export default function ContentPage() {
  const { t } = useTranslation();
  const me = useMe();
  const [params, setSearchParams] = useSearchParams();
  const shown: Shown = oneOf(['all', 'materials', 'scripts'] as const, params.get('show')) ?? 'all';
  const query: Omit<ContentQuery, 'cursor'> = {
    kind: oneOf(KINDS, params.get('kind')),
    scene: oneOf(SCENES, params.get('scene')),
    stage: oneOf(STAGES, params.get('stage')),
    persona: oneOf(PERSONAS, params.get('persona')),
    owner: oneOf(OWNERS, params.get('owner')),
    q: params.get('q') || undefined,
    script: shown === 'all' ? undefined : shown === 'scripts' ? 'true' : 'false',
  };
  const pages = useCursorPages(
    (cursor, signal) => contentApi.list({ ...query, cursor: cursor ?? undefined, limit: PAGE_SIZE }, signal),
    JSON.stringify(query),
    'siyu.pages.content',
  );
  const [editing, setEditing] = useState<{ item?: ContentItem } | null>(null);
  const set = (patch: Record<string, string | undefined>) => setSearchParams(setParams(params, patch));
  const filter = <T extends string>(name: string, list: readonly T[], prefix: string, label: string) => (
    <Select<T>
      allowClear
      placeholder={label}
      value={oneOf(list, params.get(name))}
      onChange={(v) => set({ [name]: v })}
      options={list.map((v) => ({ value: v, label: t(`${prefix}.${v}` as never) as string }))}
      style={{ minWidth: 120 }}
      data-testid={`content-filter-${name}`}
    />
  );
  return (
    <>
      <PageHeader
        title={t('content.title')}
        subtitle={t('content.subtitle')}
        extra={
          mayCreate(me) ? (
            <Button
              type="primary"
              icon={<PlusOutlined />}
              onClick={() => setEditing({})}
              data-testid="content-create"
            >
              {t('content.create')}
            </Button>
          ) : null
        }
      />
      <Flex vertical gap={12} className="content-filters">
        <Segmented<Shown>
          value={shown}
          onChange={(v) => set({ show: v === 'all' ? undefined : v })}
          options={[
            { value: 'all', label: t('content.all') },
            { value: 'materials', label: t('content.materials') },
            { value: 'scripts', label: t('content.scripts') },
          ]}
          data-testid="content-show"
        />
        <Flex gap={8} wrap>
          <Input.Search
            allowClear
            placeholder={t('content.search')}
            defaultValue={params.get('q') ?? ''}
            onSearch={(q) => set({ q: q.trim() || undefined })}
            style={{ maxWidth: 260 }}
            data-testid="content-search"
          />
          {filter('kind', KINDS, 'content.kind', t('content.kindLabel'))}
          {filter('scene', SCENES, 'content.scene', t('content.sceneLabel'))}
          {filter('stage', STAGES, 'content.stage', t('content.stageLabel'))}
          {filter('persona', PERSONAS, 'content.persona', t('content.personaLabel'))}
          {filter('owner', OWNERS, 'content.owner', t('content.ownerLabel'))}
        </Flex>
      </Flex>
      {pages.error ? <ErrorAlert error={pages.error} onRetry={pages.reload} /> : null}
      {pages.items.length === 0 && !pages.loading ? (
        <Empty
          image={Empty.PRESENTED_IMAGE_SIMPLE}
          description={t('content.empty')}
          data-testid="content-empty"
        />
      ) : (
        <div className="content-grid" data-testid="content-list">
          {pages.items.map((item) => (
            <ItemCard key={item.id} item={item} onOpen={() => setEditing({ item })} />
          ))}
        </div>
      )}
      <CursorPager
        page={pages.page}
        hasPrev={pages.hasPrev}
        hasNext={pages.hasNext}
        loading={pages.loading}
        onPrev={pages.prev}
        onNext={pages.next}
      />
      <ContentEditor
        open={editing !== null}
        item={editing?.item}
        onClose={() => setEditing(null)}
        onSaved={() => {
          setEditing(null);
          pages.reload();
        }}
      />
    </>
  );
}
