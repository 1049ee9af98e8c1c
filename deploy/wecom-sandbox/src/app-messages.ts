// WeCom application messages (发送应用消息, https://developer.work.weixin.qq.com/document/path/90236):
// POST /cgi-bin/message/send {touser "a|b" or "@all", toparty "1|2", totag, msgtype, agentid, text.content}.
// Recipients that do not exist come back in invaliduser / invalidparty / invalidtag (lower-cased userids)
// and the rest is delivered (errcode 0); when none is valid the call fails with 81013.
import type { CorpAdmin } from './corp-admin';
import { WeComError } from './errors';
import { str, type Params, type Route } from './route';

/** One message as the sandbox delivered it (only to the valid recipients). */
export type SentAppMessage = {
  msgid: string;
  agentid: number;
  msgtype: string;
  content: string;
  touser: string[];
  toparty: string[];
  at: number;
};

const split = (value: unknown): string[] =>
  (str(value) ?? '')
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);

// 文本消息 content: at most 2048 bytes (longer is 45002, documented with the msgtype).
const MAX_TEXT_BYTES = 2048;

function send(corp: CorpAdmin, p: Params): Record<string, unknown> {
  if (p['agentid'] === undefined || p['agentid'] === '') throw new WeComError(41011, 'missing agentid');
  if (Number(p['agentid']) !== corp.agentId) throw new WeComError(40056, 'invalid agentid');
  const msgtype = str(p['msgtype']);
  if (!msgtype) throw new WeComError(41008, 'missing msgtype');
  if (msgtype !== 'text')
    throw new WeComError(40008, `invalid message type: ${msgtype} (sandbox: text only)`);
  const content = str((p['text'] as Record<string, unknown> | undefined)?.['content']) ?? '';
  if (!content) throw new WeComError(44004, 'empty content');
  if (Buffer.byteLength(content) > MAX_TEXT_BYTES) throw new WeComError(45002, 'content size out of limit');
  const all = str(p['touser']) === '@all';
  const users = all ? [...corp.state.users.keys()] : split(p['touser']);
  const parties = split(p['toparty']);
  const tags = split(p['totag']);
  if (!users.length && !parties.length && !tags.length)
    throw new WeComError(40031, 'invalid userid list: touser, toparty and totag are empty');
  // WeCom matches userids case-insensitively and answers them lower-cased.
  const known = new Map([...corp.state.users.keys()].map((id) => [id.toLowerCase(), id]));
  const validUsers = users.filter((u) => known.has(u.toLowerCase()));
  const invalidUsers = users.filter((u) => !known.has(u.toLowerCase())).map((u) => u.toLowerCase());
  const validParties = parties.filter((d) => corp.state.departments.has(Number(d)));
  const invalidParties = parties.filter((d) => !corp.state.departments.has(Number(d)));
  // The sandbox keeps no member tags (tag/*): every totag id is invalid.
  if (!validUsers.length && !validParties.length)
    throw new WeComError(81013, 'user & party & tag all invalid');
  const msgid = `sbx${(corp.appMessages.length + 1).toString(36).padStart(10, '0')}`;
  corp.appMessages.push({
    msgid,
    agentid: corp.agentId,
    msgtype,
    content,
    touser: validUsers.map((u) => known.get(u.toLowerCase())!),
    toparty: validParties,
    at: Date.now(),
  });
  return {
    invaliduser: invalidUsers.join('|'),
    invalidparty: invalidParties.join('|'),
    invalidtag: tags.join('|'),
    unlicenseduser: '',
    msgid,
    response_code: '',
  };
}

export const APP_MESSAGE_ROUTES: Record<string, Route> = {
  '/cgi-bin/message/send': { method: 'POST', auth: true, handle: send },
};
