/** An errcode answer (HTTP 200, as WeCom and Exmail answer their errors). */
export class WeComError extends Error {
  constructor(
    readonly errcode: number,
    readonly errmsg: string,
  ) {
    super(errmsg);
  }
}

// errcodes: https://developer.work.weixin.qq.com/document/path/90313 (全局错误码)
export const E = {
  invalidCredential: () => new WeComError(40001, 'invalid credential, access_token is invalid or not latest'),
  invalidCorpId: () => new WeComError(40013, 'invalid corpid'),
  invalidToken: () => new WeComError(40014, 'invalid access_token'),
  invalidParam: (what: string) => new WeComError(40058, `invalid Request Parameter: ${what}`),
  invalidTagId: (id: string) => new WeComError(40068, `invalid tagid: ${id}`),
  tagNameExists: (name: string) => new WeComError(40071, `UserTag Name Already Exist: ${name}`),
  missingToken: () => new WeComError(41001, 'access_token missing'),
  missingCorpId: () => new WeComError(41002, 'corpid missing'),
  missingSecret: () => new WeComError(41004, 'corpsecret missing'),
  missingAgentId: () => new WeComError(41011, 'missing agentid'),
  expired: () => new WeComError(42001, 'access_token expired'),
  rateLimited: () => new WeComError(45009, 'api freq out of limit'),
  noDepartmentExists: (id: unknown) => new WeComError(60003, `department not found: ${String(id)}`),
  userExists: (id: string) => new WeComError(60102, `userid existed: ${id}`),
  noUser: (id: string) => new WeComError(60111, `userid not found: ${id}`),
  noDepartment: (id: unknown) => new WeComError(60123, `invalid party id: ${String(id)}`),
  notCreator: (id: string) => new WeComError(81011, `no privilege to access/modify: ${id}`),
  noRelation: (id: string) => new WeComError(84061, `not external contact: ${id}`),
  // No documented Exmail code found for these two; the sandbox's own, in WeCom's 60xxx contact range.
  groupExists: (id: string) => new WeComError(60302, `sandbox: mail group existed: ${id}`),
  noGroup: (id: string) => new WeComError(60301, `sandbox: mail group not found: ${id}`),
};
