import { describe, expect, it } from 'vitest';
import {
  buildEventXml,
  CallbackError,
  type CallbackErrorReason,
  dedupKey,
  openCallback,
  parseEvent,
  parseOuterXml,
  verifyUrl,
  type WecomEvent,
  type WecomEventInput,
} from './callback.ts';
import { callbackCrypto, encrypt, sealMessage, signature } from './crypto.ts';

// Vector A: Tencent's own sample (API-FACTS.md §2).
const A = {
  token: 'hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo',
  key: '6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt',
  corpId: 'ww1436e0e65a779aee',
  timestamp: '1476416373',
  nonce: '47744683',
  echostr: 'fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==',
  signature: '012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb',
  plain: '1288432023552776189',
};

const crypto = callbackCrypto(A.token, A.key, A.corpId);

function reasonOf(fn: () => unknown): CallbackErrorReason | 'no error' | 'other error' {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return err instanceof CallbackError ? err.reason : 'other error';
  }
}

// The literal samples of API-FACTS §4.
const SAMPLE_ADD = `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>
<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>
<UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mAAAA]]></ExternalUserID>
<State><![CDATA[teststate]]></State><WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>`;

const SAMPLE_CHAT_UPDATE =
  '<xml><ToUserName><![CDATA[ww55ca070cb9b7eb22]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wrx7HUARsKwGRaQBVKPBTcEyzdHA4HrQ]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[add_member]]></UpdateDetail><JoinScene>1</JoinScene><QuitScene>0</QuitScene><MemChangeCnt>10</MemChangeCnt><MemChangeList><Item>Jack</Item><Item>Rose</Item></MemChangeList><LastMemVer>9c3f97c2ada667dfb5f6d03308d963e1</LastMemVer><CurMemVer>71217227bbd112ecfe3a49c482195cb4</CurMemVer></xml>';

// The §4 tag sample with its elided header filled in.
const SAMPLE_TAG =
  '<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[TAG_ID]]></Id><TagType><![CDATA[tag]]></TagType><ChangeType><![CDATA[create]]></ChangeType><StrategyId>1</StrategyId></xml>';

describe('URL verification and callback opening', () => {
  it('verifies Tencent’s sample URL and returns the plaintext to echo (vector A)', () => {
    const q = { msg_signature: A.signature, timestamp: A.timestamp, nonce: A.nonce, echostr: A.echostr };
    expect(verifyUrl(crypto, q)).toBe(A.plain);
  });

  it('copes with a query parser that turned + into spaces', () => {
    const q = {
      msg_signature: A.signature,
      timestamp: A.timestamp,
      nonce: A.nonce,
      echostr: A.echostr.replaceAll('+', ' '),
    };
    expect(verifyUrl(crypto, q)).toBe(A.plain);
  });

  it('refuses a wrong signature, a missing parameter, and a stale timestamp when asked to check it', () => {
    const q = { msg_signature: A.signature, timestamp: A.timestamp, nonce: A.nonce, echostr: A.echostr };
    expect(reasonOf(() => verifyUrl(crypto, { ...q, msg_signature: '0'.repeat(40) }))).toBe('bad_signature');
    expect(reasonOf(() => verifyUrl(crypto, { ...q, nonce: '1' }))).toBe('bad_signature');
    expect(reasonOf(() => verifyUrl(crypto, { ...q, echostr: undefined }))).toBe('missing_param');
    expect(reasonOf(() => verifyUrl(crypto, { ...q, msg_signature: null }))).toBe('missing_param');
    expect(reasonOf(() => verifyUrl(crypto, q, { maxSkewSeconds: 300, nowSeconds: 1476416373 + 301 }))).toBe(
      'stale_timestamp',
    );
    expect(verifyUrl(crypto, q, { maxSkewSeconds: 300, nowSeconds: 1476416373 + 299 })).toBe(A.plain);
  });

  it('opens a sealed event and returns the inner XML', () => {
    const sealed = sealMessage(crypto, SAMPLE_CHAT_UPDATE, '1700000000', 'n0nce');
    const q = { msg_signature: sealed.msgSignature, timestamp: '1700000000', nonce: 'n0nce' };
    expect(openCallback(crypto, q, sealed.body)).toBe(SAMPLE_CHAT_UPDATE);
  });

  it('refuses a tampered body, a foreign receiveid and undecryptable ciphertext', () => {
    const ts = '1700000000';
    const nonce = 'abc';
    const sealed = sealMessage(crypto, SAMPLE_ADD, ts, nonce);
    const q = { msg_signature: sealed.msgSignature, timestamp: ts, nonce };
    const tampered = sealed.body.replace(
      /<Encrypt><!\[CDATA\[(.)/,
      (_m, c: string) => `<Encrypt><![CDATA[${c === 'A' ? 'B' : 'A'}`,
    );
    expect(reasonOf(() => openCallback(crypto, q, tampered))).toBe('bad_signature');

    // Same token and key, but addressed to another corp: the signature is fine, the receiveid is not.
    const other = sealMessage({ ...crypto, receiveId: 'wwsomeoneelse' }, SAMPLE_ADD, ts, nonce);
    const q2 = { msg_signature: other.msgSignature, timestamp: ts, nonce };
    expect(reasonOf(() => openCallback(crypto, q2, other.body))).toBe('receiveid_mismatch');

    // Correctly signed garbage: not whole AES blocks.
    const junk = 'bm90IGEgY2lwaGVydGV4dA==';
    const body = `<xml><ToUserName><![CDATA[${A.corpId}]]></ToUserName><Encrypt><![CDATA[${junk}]]></Encrypt></xml>`;
    const q3 = { msg_signature: signature(A.token, ts, nonce, junk), timestamp: ts, nonce };
    expect(reasonOf(() => openCallback(crypto, q3, body))).toBe('bad_ciphertext');

    // Whole blocks encrypted under another key: bad padding, reported as bad_ciphertext.
    const foreign = encrypt(
      callbackCrypto(A.token, 'kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR', A.corpId).key,
      'x',
      A.corpId,
    );
    const body4 = `<xml><Encrypt><![CDATA[${foreign}]]></Encrypt></xml>`;
    const q4 = { msg_signature: signature(A.token, ts, nonce, foreign), timestamp: ts, nonce };
    expect(['bad_ciphertext', 'receiveid_mismatch']).toContain(
      reasonOf(() => openCallback(crypto, q4, body4)),
    );
  });

  it('reads the outer XML with CDATA, empty AgentID and whitespace', () => {
    const outer = parseOuterXml(
      '<?xml version="1.0" encoding="utf-8"?>\n<xml>\n  <ToUserName><![CDATA[ww1]]></ToUserName>\n  <AgentID><![CDATA[]]></AgentID>\n  <Encrypt><![CDATA[abc+/=]]></Encrypt>\n</xml>\n',
    );
    expect(outer).toEqual({ toUserName: 'ww1', agentId: null, encrypt: 'abc+/=' });
    expect(
      parseOuterXml('<xml><ToUserName>ww1</ToUserName><AgentID>1000002</AgentID><Encrypt>e</Encrypt></xml>'),
    ).toEqual({ toUserName: 'ww1', agentId: '1000002', encrypt: 'e' });
  });

  it('refuses malformed outer XML and a body without Encrypt', () => {
    expect(reasonOf(() => parseOuterXml(''))).toBe('malformed_xml');
    expect(reasonOf(() => parseOuterXml('not xml'))).toBe('malformed_xml');
    expect(reasonOf(() => parseOuterXml('<xml><Encrypt>abc</Encrypt>'))).toBe('malformed_xml');
    expect(reasonOf(() => parseOuterXml('<xml><Encrypt>abc</Foo></xml>'))).toBe('malformed_xml');
    expect(reasonOf(() => parseOuterXml('<xml><A>1</A></xml><xml><A>2</A></xml>'))).toBe('malformed_xml');
    expect(reasonOf(() => parseOuterXml('<other><Encrypt>abc</Encrypt></other>'))).toBe('malformed_xml');
    expect(reasonOf(() => parseOuterXml('<xml><ToUserName>ww1</ToUserName></xml>'))).toBe('missing_encrypt');
    expect(reasonOf(() => parseOuterXml('<xml><Encrypt><![CDATA[]]></Encrypt></xml>'))).toBe(
      'missing_encrypt',
    );
  });

  it('refuses a DTD: no entity expansion (billion laughs)', () => {
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><xml><Encrypt>&lol3;</Encrypt></xml>`;
    expect(reasonOf(() => parseOuterXml(bomb))).toBe('malformed_xml');
    expect(reasonOf(() => parseEvent(bomb))).toBe('malformed_xml');
    // A message that merely mentions a DOCTYPE inside CDATA is fine.
    const msg =
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[<!DOCTYPE html> &lol;]]></Content><MsgId>42</MsgId><AgentID>1</AgentID></xml>';
    expect(parseEvent(msg)).toMatchObject({ type: 'message', content: '<!DOCTYPE html> &lol;' });
  });
});

describe('parseEvent: the literal samples of API-FACTS §4', () => {
  it('add_external_contact', () => {
    const e = parseEvent(SAMPLE_ADD);
    expect(e).toEqual({
      type: 'add_external_contact',
      corpId: 'toUser',
      fromUserName: 'sys',
      createTime: 1403610513,
      userId: 'zhangsan',
      externalUserId: 'woAJ2GCAAAXtWyujaWJHDDGi0mAAAA',
      state: 'teststate',
      welcomeCode: 'WELCOMECODE',
      raw: {
        ToUserName: 'toUser',
        FromUserName: 'sys',
        CreateTime: '1403610513',
        MsgType: 'event',
        Event: 'change_external_contact',
        ChangeType: 'add_external_contact',
        UserID: 'zhangsan',
        ExternalUserID: 'woAJ2GCAAAXtWyujaWJHDDGi0mAAAA',
        State: 'teststate',
        WelcomeCode: 'WELCOMECODE',
      },
    });
    // WeCom's shape exactly (the sample without its line breaks).
    expect(buildEventXml(e)).toBe(SAMPLE_ADD.replaceAll('\n', ''));
  });

  it('change_external_chat / update, rebuilt byte for byte', () => {
    const e = parseEvent(SAMPLE_CHAT_UPDATE);
    expect(e).toMatchObject({
      type: 'external_chat_update',
      corpId: 'ww55ca070cb9b7eb22',
      createTime: 1403610513,
      chatId: 'wrx7HUARsKwGRaQBVKPBTcEyzdHA4HrQ',
      updateDetail: 'add_member',
      joinScene: 1,
      quitScene: 0,
      memChangeCnt: 10,
      memChangeList: ['Jack', 'Rose'],
      lastMemVer: '9c3f97c2ada667dfb5f6d03308d963e1',
      curMemVer: '71217227bbd112ecfe3a49c482195cb4',
    });
    expect(e.raw.MemChangeList).toEqual(['Jack', 'Rose']);
    expect(buildEventXml(e)).toBe(SAMPLE_CHAT_UPDATE);
    const { raw: _raw, ...withoutRaw } = e;
    expect(buildEventXml(withoutRaw)).toBe(SAMPLE_CHAT_UPDATE);
  });

  it('accepts the old comma-separated MemChangeList', () => {
    const old = SAMPLE_CHAT_UPDATE.replace(
      '<MemChangeList><Item>Jack</Item><Item>Rose</Item></MemChangeList>',
      '<MemChangeList><![CDATA[Jack,Rose]]></MemChangeList>',
    );
    const e = parseEvent(old);
    expect(e).toMatchObject({ type: 'external_chat_update', memChangeList: ['Jack', 'Rose'] });
    expect(dedupKey(e)).toBe(dedupKey(parseEvent(SAMPLE_CHAT_UPDATE)));
  });

  it('change_external_tag / create, rebuilt byte for byte', () => {
    const e = parseEvent(SAMPLE_TAG);
    expect(e).toMatchObject({ type: 'external_tag_create', id: 'TAG_ID', tagType: 'tag', strategyId: '1' });
    expect(buildEventXml(e)).toBe(SAMPLE_TAG);
  });

  it('shuffle without TagType, with a CDATA StrategyId', () => {
    const xml =
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_tag]]></Event><Id><![CDATA[TAG_ID]]></Id><StrategyId><![CDATA[STRATEGY_ID]]></StrategyId><ChangeType><![CDATA[shuffle]]></ChangeType></xml>';
    const e = parseEvent(xml);
    expect(e).toMatchObject({ type: 'external_tag_shuffle', id: 'TAG_ID', strategyId: 'STRATEGY_ID' });
    expect(e).not.toHaveProperty('tagType');
    expect(parseEvent(buildEventXml(e))).toStrictEqual(e);
  });
});

const H = { corpId: 'ww1436e0e65a779aee', fromUserName: 'sys', createTime: 1_700_000_000 };

/** One event of every type (no raw: the builder lays out the fields). */
const EVERY_EVENT: WecomEventInput[] = [
  {
    ...H,
    type: 'add_external_contact',
    userId: 'zhangsan',
    externalUserId: 'wmA1',
    state: 'store:42',
    welcomeCode: 'WC1',
  },
  { ...H, type: 'add_external_contact', userId: 'zhangsan', externalUserId: 'wmA2' },
  {
    ...H,
    type: 'add_half_external_contact',
    userId: 'lisi',
    externalUserId: 'wmA3',
    state: '',
    welcomeCode: 'WC2',
  },
  { ...H, type: 'edit_external_contact', userId: 'lisi', externalUserId: 'wmA3' },
  { ...H, type: 'del_external_contact', userId: 'lisi', externalUserId: 'wmA3' },
  {
    ...H,
    type: 'del_external_contact',
    userId: 'lisi',
    externalUserId: 'wmA3',
    source: 'DELETE_BY_TRANSFER',
  },
  { ...H, type: 'del_follow_user', userId: 'lisi', externalUserId: 'wmA3' },
  { ...H, type: 'transfer_fail', userId: 'wangwu', externalUserId: 'wmA4', failReason: 'customer_refused' },
  {
    ...H,
    type: 'transfer_fail',
    userId: 'wangwu',
    externalUserId: 'wmA4',
    failReason: 'customer_limit_exceed',
  },
  { ...H, type: 'external_chat_create', chatId: 'wrC1' },
  {
    ...H,
    type: 'external_chat_update',
    chatId: 'wrC1',
    updateDetail: 'add_member',
    joinScene: 3,
    memChangeCnt: 2,
    memChangeList: ['wmA1', 'zhangsan'],
    lastMemVer: '9c3f97c2ada667dfb5f6d03308d963e1',
    curMemVer: '71217227bbd112ecfe3a49c482195cb4',
  },
  {
    ...H,
    type: 'external_chat_update',
    chatId: 'wrC1',
    updateDetail: 'del_member',
    quitScene: 1,
    memChangeCnt: 1,
    memChangeList: ['wmA1'],
    lastMemVer: '71217227bbd112ecfe3a49c482195cb4',
    curMemVer: '0123456789abcdef0123456789abcdef',
  },
  { ...H, type: 'external_chat_update', chatId: 'wrC1', updateDetail: 'change_owner' },
  { ...H, type: 'external_chat_update', chatId: 'wrC1', updateDetail: 'change_name' },
  { ...H, type: 'external_chat_update', chatId: 'wrC1', updateDetail: 'change_notice' },
  {
    ...H,
    type: 'external_chat_update',
    chatId: 'wrC1',
    updateDetail: 'add_member',
    memChangeCnt: 0,
    memChangeList: [],
  },
  { ...H, type: 'external_chat_dismiss', chatId: 'wrC1' },
  { ...H, type: 'external_tag_create', id: 'etT1', tagType: 'tag' },
  { ...H, type: 'external_tag_create', id: 'etG1', tagType: 'tag_group' },
  { ...H, type: 'external_tag_update', id: 'etT1', tagType: 'tag', strategyId: '7' },
  { ...H, type: 'external_tag_delete', id: 'etG1', tagType: 'tag_group' },
  { ...H, type: 'external_tag_shuffle', id: '' },
  { ...H, type: 'external_tag_shuffle', id: 'etG1', strategyId: '7' },
  {
    ...H,
    fromUserName: 'zhangsan',
    type: 'message',
    msgType: 'text',
    msgId: '1234567890123456',
    agentId: '1000002',
    content: '你好 <b>&amp; ]]> 世界 ',
  },
  { ...H, fromUserName: 'zhangsan', type: 'message', msgType: 'image', msgId: '99' },
  {
    ...H,
    type: 'unknown',
    msgType: 'event',
    event: 'change_external_contact',
    changeType: 'some_future_change',
    fields: { UserID: 'zhangsan', Extra: 'x' },
  },
  {
    ...H,
    type: 'unknown',
    msgType: 'event',
    event: 'batch_job_result',
    changeType: null,
    fields: { 'BatchJob.JobId': 'J1', 'BatchJob.JobType': 'sync_user', 'BatchJob.ErrCode': '0' },
  },
  {
    ...H,
    type: 'unknown',
    msgType: 'event',
    event: 'enter_agent',
    changeType: null,
    fields: { AgentID: '1' },
  },
];

describe('buildEventXml ∘ parseEvent', () => {
  it.each(EVERY_EVENT.map((e, i) => [`${i} ${e.type}`, e] as const))('round-trips %s', (_name, e) => {
    const xml = buildEventXml(e);
    const parsed = parseEvent(xml);
    const { raw, ...rest } = parsed;
    expect(rest).toStrictEqual(e);
    expect(raw.CreateTime).toBe(String(e.createTime));
    // And with raw: the parsed event rebuilds to the same XML and parses to itself.
    expect(buildEventXml(parsed)).toBe(xml);
    expect(parseEvent(buildEventXml(parsed))).toStrictEqual(parsed);
  });

  it('writes strings as CDATA, numbers bare and members as <Item>s, in the samples’ order', () => {
    const xml = buildEventXml({
      ...H,
      type: 'transfer_fail',
      userId: 'wangwu',
      externalUserId: 'wmA4',
      failReason: 'customer_refused',
    });
    expect(xml).toBe(
      '<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[transfer_fail]]></ChangeType><FailReason><![CDATA[customer_refused]]></FailReason><UserID><![CDATA[wangwu]]></UserID><ExternalUserID><![CDATA[wmA4]]></ExternalUserID></xml>',
    );
    expect(
      buildEventXml({
        ...H,
        type: 'del_external_contact',
        userId: 'u',
        externalUserId: 'wm',
        source: 'DELETE_BY_TRANSFER',
      }),
    ).toContain(
      '<ChangeType><![CDATA[del_external_contact]]></ChangeType><UserID><![CDATA[u]]></UserID><ExternalUserID><![CDATA[wm]]></ExternalUserID><Source><![CDATA[DELETE_BY_TRANSFER]]></Source></xml>',
    );
    expect(buildEventXml({ ...H, type: 'external_chat_dismiss', chatId: 'wr1' })).toContain(
      '<Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[wr1]]></ChatId><ChangeType><![CDATA[dismiss]]></ChangeType></xml>',
    );
    expect(
      buildEventXml({
        ...H,
        type: 'message',
        fromUserName: 'lisi',
        msgType: 'text',
        msgId: '7',
        agentId: '1',
        content: 'hi',
      }),
    ).toBe(
      '<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>7</MsgId><AgentID>1</AgentID></xml>',
    );
  });

  it('defaults FromUserName to sys', () => {
    const { fromUserName: _f, ...noFrom } = { ...H, type: 'external_chat_dismiss' as const, chatId: 'wr1' };
    expect(buildEventXml(noFrom)).toContain('<FromUserName><![CDATA[sys]]></FromUserName>');
    expect(dedupKey(noFrom)).toBe(dedupKey(parseEvent(buildEventXml(noFrom))));
  });

  it('refuses field names that would break the XML', () => {
    expect(() =>
      buildEventXml({
        ...H,
        type: 'unknown',
        msgType: 'event',
        event: 'x',
        changeType: null,
        fields: { 'a><b': '1' },
      }),
    ).toThrow(RangeError);
  });
});

describe('parseEvent on other shapes', () => {
  it('keeps the extra fields of a message (image) in raw and rebuilds them', () => {
    const xml =
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p.qpic.cn/x]]></PicUrl><MediaId><![CDATA[media_id]]></MediaId><MsgId>1234567890123456</MsgId><AgentID>1</AgentID></xml>';
    const e = parseEvent(xml);
    expect(e).toMatchObject({ type: 'message', msgType: 'image', msgId: '1234567890123456', agentId: '1' });
    expect(e.raw.PicUrl).toBe('http://p.qpic.cn/x');
    expect(buildEventXml(e)).toBe(xml);
    expect(dedupKey(e)).toBe('msg:1234567890123456');
  });

  it('never throws on a well-formed unknown event, nested or not', () => {
    const xml =
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1425284517</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[batch_job_result]]></Event><BatchJob><JobId><![CDATA[S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4]]></JobId><JobType><![CDATA[sync_user]]></JobType><ErrCode>0</ErrCode><ErrMsg><![CDATA[ok]]></ErrMsg></BatchJob><List><Item><Id>1</Id></Item><Item><Id>2</Id></Item></List></xml>';
    const e = parseEvent(xml);
    expect(e).toMatchObject({
      type: 'unknown',
      msgType: 'event',
      event: 'batch_job_result',
      changeType: null,
      fields: {
        'BatchJob.JobId': 'S0MrnndvRG5fadSlLwiBqiDDbM143UqTmKP3152FZk4',
        'BatchJob.ErrCode': '0',
        'List.Item.Id': '1',
        'List.Item[1].Id': '2',
      },
    });
    expect(buildEventXml(e)).toBe(xml);
  });

  it('a known change missing a required field becomes unknown instead of throwing', () => {
    const xml =
      '<xml><ToUserName><![CDATA[ww1]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[del_follow_user]]></ChangeType><UserID><![CDATA[u]]></UserID></xml>';
    expect(parseEvent(xml)).toMatchObject({
      type: 'unknown',
      changeType: 'del_follow_user',
      fields: { UserID: 'u' },
    });
    expect(parseEvent('<xml></xml>')).toMatchObject({
      type: 'unknown',
      corpId: '',
      createTime: 0,
      msgType: '',
    });
  });

  it('decodes the predefined entities in plain text and keeps CDATA verbatim', () => {
    const xml =
      '<xml><ToUserName>ww1</ToUserName><FromUserName>a&amp;b</FromUserName><CreateTime> 5 </CreateTime><MsgType>text</MsgType><Content><![CDATA[ &amp; ]]>&lt;&#x4e2d;&#25991;</Content><MsgId>1</MsgId></xml>';
    expect(parseEvent(xml)).toMatchObject({ fromUserName: 'a&b', createTime: 5, content: ' &amp; <中文' });
  });

  it('throws malformed_xml on broken XML', () => {
    expect(reasonOf(() => parseEvent('<xml><MsgType>text</xml>'))).toBe('malformed_xml');
    expect(reasonOf(() => parseEvent('{"json":true}'))).toBe('malformed_xml');
  });
});

describe('dedupKey', () => {
  const add = parseEvent(SAMPLE_ADD);

  it('gives a redelivered event the same key (even with another welcome code)', () => {
    expect(dedupKey(parseEvent(SAMPLE_ADD))).toBe(dedupKey(add));
    expect(dedupKey(parseEvent(SAMPLE_ADD.replace('WELCOMECODE', 'OTHER')))).toBe(dedupKey(add));
    expect(dedupKey(add)).toMatch(
      /^evt:change_external_contact\/add_external_contact:1403610513:[0-9a-f]{32}$/,
    );
  });

  it('keeps apart different events in the same second', () => {
    const keys = new Set<string>([
      dedupKey(add),
      dedupKey(parseEvent(SAMPLE_ADD.replace('woAJ2GCAAAXtWyujaWJHDDGi0mAAAA', 'wmOther'))),
      dedupKey(parseEvent(SAMPLE_ADD.replace('<UserID><![CDATA[zhangsan]]>', '<UserID><![CDATA[lisi]]>'))),
      dedupKey(parseEvent(SAMPLE_ADD.replace('add_external_contact', 'add_half_external_contact'))),
      dedupKey(parseEvent(SAMPLE_ADD.replace('teststate', 'otherstate'))),
      ...EVERY_EVENT.map(dedupKey),
    ]);
    // No two entries of EVERY_EVENT are the same event, so every key is distinct.
    expect(keys.size).toBe(5 + EVERY_EVENT.length);
  });

  it('uses MsgId for messages', () => {
    const msg: WecomEvent = parseEvent(
      buildEventXml({
        ...H,
        type: 'message',
        msgType: 'text',
        msgId: '555',
        content: 'x',
        fromUserName: 'u',
      }),
    );
    expect(dedupKey(msg)).toBe('msg:555');
  });

  it('stays short with a long member list', () => {
    const e = parseEvent(
      buildEventXml({
        ...H,
        type: 'external_chat_update',
        chatId: 'wr1',
        updateDetail: 'add_member',
        memChangeList: Array.from({ length: 500 }, (_, i) => `wm${'x'.repeat(28)}${i}`),
      }),
    );
    expect(dedupKey(e).length).toBeLessThan(120);
  });
});
