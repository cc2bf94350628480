import { FileOutlined, VideoCameraOutlined } from '@ant-design/icons';
import { Alert, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Rendered } from './api';

/** Siyu draws the demo library's sample files itself (content/media.ts): shown from its /samples/ path. */
const SAMPLE_BASE = 'https://samples.siyu.invalid/';
export function viewable(url: string | undefined): string | undefined {
  return url?.startsWith(SAMPLE_BASE) ? `/samples/${url.slice(SAMPLE_BASE.length)}` : url;
}

/** The last part of a URL's path, as a file's name. */
export function fileNameOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
  } catch {
    return undefined;
  }
}

/** The rendered message as the customer sees it in WeChat: the text, then each attachment as its own message. */
export function WechatPreview({
  rendered,
  error,
  sender,
}: {
  rendered: Rendered | undefined;
  error: string | null;
  sender: string;
}) {
  const { t } = useTranslation();
  return (
    <div className="wechat-preview" data-testid="content-preview">
      <div className="wechat-preview-title">{sender}</div>
      {error ? <Alert type="warning" showIcon title={t('content.previewError')} description={error} /> : null}
      {rendered?.text ? <div className="wechat-bubble">{rendered.text.content}</div> : null}
      {(rendered?.attachments ?? []).map((a, i) => {
        const key = `${i}-${a.msgtype}`;
        const body = (a as Record<string, Record<string, string> | undefined>)[a.msgtype] ?? {};
        const media = rendered?.media.find((m) => m.attachment === i);
        if (a.msgtype === 'image')
          return (
            <div key={key} className="wechat-card wechat-image">
              <img src={viewable(body.pic_url ?? media?.url)} alt="" loading="lazy" />
            </div>
          );
        if (a.msgtype === 'video')
          return (
            <div key={key} className="wechat-card">
              <VideoCameraOutlined /> {media?.name ?? fileNameOf(media?.url) ?? t('content.videoCard')}
            </div>
          );
        if (a.msgtype === 'link')
          return (
            <div key={key} className="wechat-card">
              <div className="wechat-card-title">{body.title}</div>
              {body.desc ? <Typography.Text type="secondary">{body.desc}</Typography.Text> : null}
              <div className="wechat-card-url">{body.url}</div>
            </div>
          );
        if (a.msgtype === 'miniprogram')
          return (
            <div key={key} className="wechat-card">
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('content.miniCard')}
              </Typography.Text>
              <div className="wechat-card-title">{body.title}</div>
              <div className="wechat-card-url">{body.page}</div>
            </div>
          );
        return (
          <div key={key} className="wechat-card">
            <FileOutlined /> {media?.name ?? fileNameOf(media?.url) ?? t('content.fileCard')}
          </div>
        );
      })}
      {rendered?.missing.length ? (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('content.missing', { names: rendered.missing.join(', ') })}
        </Typography.Text>
      ) : null}
    </div>
  );
}
