import { App, Button, Card, Descriptions, Flex, Radio, Skeleton, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import i18n from '../../i18n';
import { ApiError } from '../../shared/api/client';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { useMe } from '../accounts/auth';
import { type AddsModel, channelsApi, type Linkage } from './api';

const LINKAGES: Linkage[] = ['friend_only', 'group_only', 'friend_then_group', 'group_then_friend'];

/**
 * The four linkages of friends and groups (PLAYBOOK §2) and who adds customers, for one unit: the brand's
 * root or a store. Shows the unit's own choice, what applies (inherited) and what its business type suggests.
 */
export function LinkageSettings({ unitId, unitName }: { unitId: number; unitName: string }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const me = useMe();
  const settings = useAsync((signal) => channelsApi.acquisitionSettings(unitId, signal), `linkage:${unitId}`);
  const [linkage, setLinkage] = useState<Linkage | undefined>();
  const [addsModel, setAddsModel] = useState<AddsModel | undefined>();
  const [saving, setSaving] = useState(false);
  const data = settings.data;
  useEffect(() => {
    if (!data) return;
    setLinkage(data.own?.linkage ?? data.effective);
    setAddsModel(data.own?.addsModel ?? data.effectiveAddsModel);
  }, [data]);
  if (settings.error) return <ErrorAlert error={settings.error} onRetry={settings.reload} />;
  if (!data) return <Skeleton active />;

  const save = async () => {
    if (!linkage || !addsModel) return;
    setSaving(true);
    try {
      await channelsApi.setAcquisitionSettings(unitId, { linkage, addsModel });
      message.success(t('linkage.saved'));
      settings.reload();
    } catch (err) {
      message.error(err instanceof ApiError ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <Card size="small" title={unitName} data-testid="linkage-settings">
      <Descriptions
        size="small"
        column={1}
        items={[
          {
            key: 'effective',
            label: t('linkage.effective'),
            children: <Tag color="green">{t(`linkage.option.${data.effective}`)}</Tag>,
          },
          {
            key: 'recommended',
            label: t('linkage.recommended'),
            children: (
              <span>
                <Tag color="gold">{t(`linkage.option.${data.recommended}`)}</Tag>
                <Typography.Text type="secondary">
                  {t('linkage.businessType', {
                    type: data.businessType
                      ? i18n.exists(`linkage.businessTypes.${data.businessType}`)
                        ? t(
                            `linkage.businessTypes.${data.businessType}` as 'linkage.businessTypes.tea_drinks',
                          )
                        : data.businessType
                      : t('common.none'),
                  })}
                </Typography.Text>
              </span>
            ),
          },
          {
            key: 'own',
            label: t('linkage.own'),
            children: data.own ? t(`linkage.option.${data.own.linkage}`) : t('linkage.inherited'),
          },
        ]}
      />
      {me.role === 'staff' ? null : (
        <Flex vertical gap={12} style={{ marginTop: 12 }}>
          <Radio.Group value={linkage} onChange={(e) => setLinkage(e.target.value)}>
            <Flex vertical gap={6}>
              {LINKAGES.map((l) => (
                <Radio key={l} value={l}>
                  {t(`linkage.option.${l}`)}{' '}
                  <Typography.Text type="secondary">— {t(`linkage.hint.${l}`)}</Typography.Text>
                </Radio>
              ))}
            </Flex>
          </Radio.Group>
          <Radio.Group
            value={addsModel}
            onChange={(e) => setAddsModel(e.target.value)}
            options={[
              { value: 'journey', label: t('linkage.journey') },
              { value: 'central', label: t('linkage.central') },
            ]}
          />
          <Button type="primary" loading={saving} onClick={save} style={{ alignSelf: 'flex-start' }}>
            {t('linkage.save')}
          </Button>
        </Flex>
      )}
    </Card>
  );
}
