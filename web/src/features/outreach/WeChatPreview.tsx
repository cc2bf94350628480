import { LinkOutlined } from '@ant-design/icons';
import { Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Attachment } from './api';

/**
 * The message as the customer sees it in WeChat: the member's name and avatar, the text bubble, then each
 * attachment (a link card with its title, description and picture).
 */
export function WeChatPreview({
  sender,
  text,
  attachments,
}: {
  sender: string;
  text: string;
  attachments: readonly Attachment[];
}) {
  const { t } = useTranslation();
  const empty = !text.trim() && attachments.length === 0;
  return (
    <div className="wx-phone" data-testid="wx-preview">
      <div className="wx-title">{sender}</div>
      <div className="wx-chat">
        {empty ? <Typography.Text type="secondary">{t('massSends.previewEmpty')}</Typography.Text> : null}
        {text.trim() ? (
          <div className="wx-row">
            <div className="wx-avatar">{sender.slice(0, 1)}</div>
            <div className="wx-bubble">{text}</div>
          </div>
        ) : null}
        {attachments.map((a, i) =>
          a.msgtype === 'link' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: attachments have no id; their order is their identity
            <div className="wx-row" key={i}>
              <div className="wx-avatar">{sender.slice(0, 1)}</div>
              <div className="wx-card">
                <div className="wx-card-title">{a.link.title}</div>
                <div className="wx-card-body">
                  <span className="wx-card-desc">{a.link.desc ?? a.link.url}</span>
                  {a.link.picurl ? (
                    <img className="wx-card-pic" src={a.link.picurl} alt="" />
                  ) : (
                    <span className="wx-card-pic wx-card-pic-empty">
                      <LinkOutlined />
                    </span>
                  )}
                </div>
              </div>
            </div>
          ) : null,
        )}
      </div>
    </div>
  );
}
