import { refsOfEvent, xmlFields } from './wecom-callback-event';

// Event XML as documented: change_contact https://developer.work.weixin.qq.com/document/path/90970 (users),
// /90971 (departments); change_external_contact /92130.
const event = (changeType: string, body: string, name = 'change_contact') =>
  `<xml><ToUserName><![CDATA[wwcorp]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${name}]]></Event><ChangeType>${changeType}</ChangeType>${body}</xml>`;

describe('WeCom callback events → refs to re-read', () => {
  it.each([
    [
      event('create_user', '<UserID><![CDATA[zhangsan]]></UserID>'),
      [{ kind: 'employee', employeeId: 'zhangsan' }],
    ],
    [
      event('update_user', '<UserID><![CDATA[zs]]></UserID><NewUserID><![CDATA[zhangsan]]></NewUserID>'),
      [
        { kind: 'employee', employeeId: 'zs' },
        { kind: 'employee', employeeId: 'zhangsan' },
      ],
    ],
    [
      event('delete_user', '<UserID><![CDATA[zhangsan]]></UserID>'),
      [{ kind: 'employee', employeeId: 'zhangsan' }],
    ],
    [
      event('create_party', '<Id>2</Id><Name><![CDATA[研发]]></Name><ParentId>1</ParentId>'),
      [{ kind: 'department', departmentId: '2' }],
    ],
    [event('delete_party', '<Id>2</Id>'), [{ kind: 'department', departmentId: '2' }]],
    [
      event(
        'del_external_contact',
        '<UserID><![CDATA[lisi]]></UserID><ExternalUserID><![CDATA[wmX]]></ExternalUserID>',
        'change_external_contact',
      ),
      [{ kind: 'customer', externalUserId: 'wmX' }],
    ],
    [event('update_tag', '<TagId>1</TagId>'), []],
    ['<xml><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content></xml>', []],
  ])('given %s, then the refs are %j', (xml, refs) => {
    expect(refsOfEvent(xmlFields(xml))).toEqual(refs);
  });

  it('given CDATA holding markup, then the value is read whole', () => {
    expect(xmlFields('<xml><Name><![CDATA[a<b>c]]></Name></xml>')['Name']).toBe('a<b>c');
  });
});
