import { Segmented } from 'antd';
import { useTranslation } from 'react-i18next';
import { changeLang, type Lang } from '../i18n';

/** 中文 / English; the choice is kept in localStorage and sent to the server as Accept-Language. */
export function LangSwitch({ size = 'medium' }: { size?: 'small' | 'medium' | 'large' }) {
  const { t, i18n } = useTranslation();
  const value: Lang = i18n.language === 'en' ? 'en' : 'zh';
  return (
    <Segmented<Lang>
      size={size}
      aria-label={t('lang.label')}
      value={value}
      onChange={(lang) => void changeLang(lang)}
      options={[
        { value: 'zh', label: <span data-testid="lang-zh">{t('lang.zh')}</span> },
        { value: 'en', label: <span data-testid="lang-en">{t('lang.en')}</span> },
      ]}
    />
  );
}
