/**
 * The inner XML of a callback event, in WeCom's shape (API-FACTS §4): a fixed header, then the event's own
 * fields in order. Strings go in CDATA, numbers are bare, lists become <Item> elements.
 */
export type XmlValue = string | number | readonly string[] | undefined;

export interface SimEvent {
  Event: string;
  ChangeType: string;
  [field: string]: XmlValue;
}

function cdata(value: string): string {
  return `<![CDATA[${value.replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

function element(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return `<${name}>${value}</${name}>`;
  if (typeof value === 'string') return `<${name}>${cdata(value)}</${name}>`;
  return `<${name}>${value.map((item) => `<Item>${cdata(item)}</Item>`).join('')}</${name}>`;
}

export function buildEventXml(corpid: string, createTime: number, event: SimEvent): string {
  const { Event, ChangeType, ...rest } = event;
  let xml = '<xml>';
  xml += element('ToUserName', corpid);
  xml += element('FromUserName', 'sys');
  xml += element('CreateTime', createTime);
  xml += element('MsgType', 'event');
  xml += element('Event', Event);
  xml += element('ChangeType', ChangeType);
  for (const [name, value] of Object.entries(rest)) xml += element(name, value);
  return `${xml}</xml>`;
}
