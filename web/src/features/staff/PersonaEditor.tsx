import { Alert, App, Button, Drawer, Form, Grid, Input, Select, Skeleton, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../../shared/components';
import { useAsync } from '../../shared/hooks';
import { type Persona, type StaffCard, staffApi } from './api';

const PERSONAS: readonly Persona[] = ['brand', 'expert', 'founder', 'sales', 'assistant'];
type Values = Omit<StaffCard, 'id' | 'name' | 'hasQr' | 'cardPath'>;

/**
 * A member's persona and name card (名片), edited by a manager of their unit or above: the persona, the name
 * customers see, title and introduction, avatar guidelines, and the store or mall entry on the card.
 */
export function PersonaEditor(props: { staffId: number | null; onClose(): void; onSaved(): void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const phone = !Grid.useBreakpoint().md;
  const [form] = Form.useForm<Values>();
  const id = props.staffId;
  const card = useAsync(
    (signal) => (id === null ? Promise.resolve(null) : staffApi.card(id, signal)),
    `staff-card:${id}`,
  );
  const save = async (values: Values) => {
    if (id === null) return;
    try {
      await staffApi.setPersona(id, values);
      message.success(t('personaEditor.saved'));
      props.onSaved();
    } catch (err) {
      message.error((err as Error).message);
    }
  };
  const c = card.data;
  return (
    <Drawer
      open={id !== null}
      onClose={props.onClose}
      width={phone ? '100%' : 480}
      title={c ? t('personaEditor.title', { name: c.name }) : t('personaEditor.titleEmpty')}
      destroyOnHidden
      extra={
        <Button type="primary" onClick={() => form.submit()} disabled={!c} data-testid="persona-save">
          {t('personaEditor.save')}
        </Button>
      }
    >
      {card.error ? <ErrorAlert error={card.error} onRetry={card.reload} /> : null}
      {!c ? (
        <Skeleton active />
      ) : (
        <Form<Values>
          key={c.id}
          form={form}
          layout="vertical"
          initialValues={c}
          onFinish={save}
          data-testid="persona-form"
        >
          <Form.Item name="persona" label={t('staff.persona')} rules={[{ required: true }]}>
            <Select options={PERSONAS.map((p) => ({ value: p, label: t(`persona.${p}`) }))} />
          </Form.Item>
          <Form.Item
            name="personaName"
            label={t('personaEditor.personaName')}
            extra={t('personaEditor.personaNameHint')}
          >
            <Input maxLength={32} allowClear />
          </Form.Item>
          <Form.Item name="title" label={t('personaEditor.cardTitle')}>
            <Input maxLength={64} allowClear />
          </Form.Item>
          <Form.Item name="intro" label={t('personaEditor.intro')}>
            <Input.TextArea maxLength={500} showCount autoSize={{ minRows: 3, maxRows: 6 }} />
          </Form.Item>
          <Form.Item name="avatarGuide" label={t('personaEditor.avatarGuide')}>
            <Input.TextArea maxLength={500} autoSize={{ minRows: 2, maxRows: 4 }} />
          </Form.Item>
          <Form.Item name="mallTitle" label={t('personaEditor.mallTitle')}>
            <Input maxLength={32} allowClear />
          </Form.Item>
          <Form.Item
            name="mallUrl"
            label={t('personaEditor.mallUrl')}
            rules={[{ type: 'url', message: t('personaEditor.badUrl') }]}
          >
            <Input maxLength={1000} allowClear placeholder="https://" />
          </Form.Item>
          {c.hasQr ? null : (
            <Alert type="info" showIcon title={t('personaEditor.noQr')} style={{ marginBottom: 12 }} />
          )}
          <Typography.Link href={c.cardPath} target="_blank" data-testid="persona-card-link">
            {t('personaEditor.openCard')}
          </Typography.Link>
        </Form>
      )}
    </Drawer>
  );
}
