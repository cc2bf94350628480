import { Card, Col, Empty, Row, Space, Statistic, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert, PageHeader } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { type Persona, staffApi } from './api';

const PERSONAS: readonly Persona[] = ['brand', 'expert', 'founder', 'sales', 'assistant'];

/** 人设矩阵: per store in scope, how many active members hold each persona, and the gaps. Cards: fits a phone. */
export default function PersonaMatrixPage() {
  const { t } = useTranslation();
  const matrix = useAsync((signal) => staffApi.personaMatrix(signal), 'persona-matrix');
  const data = matrix.data;
  return (
    <>
      <PageHeader title={t('personaMatrix.title')} subtitle={t('personaMatrix.subtitle')} />
      {matrix.error && <ErrorAlert error={matrix.error} />}
      {data && (
        <Card size="small" style={{ marginBottom: 12 }} data-testid="persona-totals">
          <Row gutter={[8, 8]}>
            {PERSONAS.map((p) => (
              <Col key={p} xs={8} sm={4}>
                <Statistic title={t(`persona.${p}`)} value={data.totals[p]} />
              </Col>
            ))}
          </Row>
        </Card>
      )}
      {data && data.stores.length === 0 && <Empty description={t('personaMatrix.empty')} />}
      <Row gutter={[12, 12]}>
        {data?.stores.map((s) => (
          <Col key={s.unitId} xs={24} md={12} xl={8}>
            <Card
              size="small"
              title={s.unitName}
              extra={t('personaMatrix.members', { count: s.total })}
              data-testid="persona-store"
            >
              <Space wrap size={[6, 6]}>
                {PERSONAS.map((p) => (
                  <Tag key={p} color={s.counts[p] === 0 ? 'red' : 'green'}>
                    {t(`persona.${p}`)} {s.counts[p]}
                  </Tag>
                ))}
              </Space>
              <Typography.Paragraph type={s.gaps.length ? 'danger' : 'success'} style={{ margin: '8px 0 0' }}>
                {s.gaps.length
                  ? `${t('personaMatrix.gaps')}：${s.gaps.map((g) => t(`persona.${g}`)).join('、')}`
                  : t('personaMatrix.noGaps')}
              </Typography.Paragraph>
            </Card>
          </Col>
        ))}
      </Row>
    </>
  );
}
