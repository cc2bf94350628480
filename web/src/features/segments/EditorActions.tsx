import { ArrowLeftOutlined, DeleteOutlined, SaveOutlined } from '@ant-design/icons';
import { Button, Popconfirm, Space } from 'antd';
import { useTranslation } from 'react-i18next';

/**
 * An editor page's header actions: back to the list, delete (confirmed) once saved, save. `strings` is the
 * page's i18n prefix holding back, delete, cancel, save and confirmDelete ({{name}}).
 */
export function EditorActions(props: {
  strings: 'layers' | 'segments';
  backTo: string;
  onBack: (path: string) => void;
  /** The saved item's name: delete is offered only for a saved item. */
  savedName: string | null;
  canSave: boolean;
  saving: boolean;
  onSave: () => void;
  onDelete: () => void;
  saveTestId: string;
}) {
  const { t } = useTranslation();
  const k = (key: 'back' | 'delete' | 'cancel' | 'save' | 'confirmDelete') =>
    `${props.strings}.${key}` as const;
  return (
    <Space>
      <Button icon={<ArrowLeftOutlined />} onClick={() => props.onBack(props.backTo)}>
        {t(k('back'))}
      </Button>
      {props.savedName !== null && props.canSave ? (
        <Popconfirm
          title={t(k('confirmDelete'), { name: props.savedName })}
          okText={t(k('delete'))}
          cancelText={t(k('cancel'))}
          okButtonProps={{ danger: true }}
          onConfirm={props.onDelete}
        >
          <Button danger icon={<DeleteOutlined />}>
            {t(k('delete'))}
          </Button>
        </Popconfirm>
      ) : null}
      {props.canSave ? (
        <Button
          type="primary"
          icon={<SaveOutlined />}
          loading={props.saving}
          onClick={props.onSave}
          data-testid={props.saveTestId}
        >
          {t(k('save'))}
        </Button>
      ) : null}
    </Space>
  );
}
