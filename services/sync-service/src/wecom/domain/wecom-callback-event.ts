import type { DirectoryObjectRef } from '../../directory/domain/directory.model';

/**
 * The flat fields of a WeCom callback XML (<xml><Tag>value</Tag>…</xml>, values bare or in CDATA).
 * WeCom's event messages are one level deep; nested elements are not read.
 */
export function xmlFields(xml: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const element = /<([A-Za-z][\w]*)>((?:<!\[CDATA\[[\s\S]*?\]\]>)+|[^<]*)<\/\1>/g;
  for (const match of xml.matchAll(element)) {
    const [, tag, raw] = match;
    const value = raw!.startsWith('<![CDATA[')
      ? [...raw!.matchAll(/<!\[CDATA\[([\s\S]*?)\]\]>/g)].map((m) => m[1]).join('')
      : decodeEntities(raw!.trim());
    if (!(tag! in fields)) fields[tag!] = value;
  }
  return fields;
}

const decodeEntities = (text: string): string =>
  text.replace(
    /&(lt|gt|amp|quot|apos);/g,
    (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!,
  );

/**
 * What a callback names, to be re-read (a callback is a signal, not the new state: WeCom's own advice).
 * change_contact (https://developer.work.weixin.qq.com/document/path/90970, /90971): users by UserID (and
 * NewUserID when an update renamed one), departments by Id. change_external_contact (/92130): the customer
 * by ExternalUserID. Anything else names nothing.
 */
export function refsOfEvent(fields: Record<string, string>): DirectoryObjectRef[] {
  if (fields['MsgType'] !== 'event') return [];
  const change = fields['ChangeType'] ?? '';
  if (fields['Event'] === 'change_contact') {
    if (['create_user', 'update_user', 'delete_user'].includes(change)) {
      const ids = [fields['UserID'], fields['NewUserID']].filter((id): id is string => !!id);
      return [...new Set(ids)].map((employeeId) => ({ kind: 'employee', employeeId }));
    }
    if (['create_party', 'update_party', 'delete_party'].includes(change) && fields['Id'])
      return [{ kind: 'department', departmentId: fields['Id'] }];
    return [];
  }
  if (fields['Event'] === 'change_external_contact') {
    const known = [
      'add_external_contact',
      'edit_external_contact',
      'add_half_external_contact',
      'del_external_contact',
      'del_follow_user',
    ];
    if (known.includes(change) && fields['ExternalUserID'])
      return [{ kind: 'customer', externalUserId: fields['ExternalUserID'] }];
  }
  return [];
}
