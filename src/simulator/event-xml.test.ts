import { describe, expect, it } from 'vitest';
import { buildEventXml } from './event-xml.ts';

describe('buildEventXml', () => {
  it('writes the WeCom header, strings in CDATA, numbers bare, lists as <Item>', () => {
    const xml = buildEventXml('ww1', 1403610513, {
      Event: 'change_external_chat',
      ChangeType: 'update',
      ChatId: 'wrx',
      UpdateDetail: 'add_member',
      JoinScene: 3,
      MemChangeCnt: 2,
      MemChangeList: ['Jack', 'Rose'],
      QuitScene: undefined,
    });
    expect(xml).toBe(
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>' +
        '<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>' +
        '<Event><![CDATA[change_external_chat]]></Event><ChangeType><![CDATA[update]]></ChangeType>' +
        '<ChatId><![CDATA[wrx]]></ChatId><UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>3</JoinScene>' +
        '<MemChangeCnt>2</MemChangeCnt><MemChangeList><Item><![CDATA[Jack]]></Item><Item><![CDATA[Rose]]></Item></MemChangeList></xml>',
    );
  });

  it('splits "]]>" inside CDATA', () => {
    expect(buildEventXml('ww1', 1, { Event: 'e', ChangeType: 'c', State: 'a]]>b' })).toContain(
      '<State><![CDATA[a]]]]><![CDATA[>b]]></State>',
    );
  });
});
