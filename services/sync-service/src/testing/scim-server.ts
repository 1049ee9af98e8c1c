// A SCIM 2.0 service provider for tests (RFC 7643/7644), built on scimmy + scimmy-routers over an in-memory
// store. scimmy parses, validates, filters, pages and applies PATCH; this file adds what scimmy-routers
// leaves out: ETags on every resource (meta.version + the ETag header) and If-Match enforced on PUT,
// PATCH and DELETE (412 on a stale version, 428 when missing). scimmy's handlers are static, so one
// server per process at a time.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import SCIMMYRouters, { SCIMMY } from 'scimmy-routers';

/** Where the client keeps a group's address: core Group has no email attribute (D53). */
export const TAGGUARD_GROUP_EXTENSION = 'urn:ietf:params:scim:schemas:extension:tagguard:2.0:Group';

type Stored = Record<string, unknown> & { id: string; version: number; created: Date; lastModified: Date };
export type ScimRequestRecord = { method: string; path: string; ifMatch?: string; body?: unknown };

export type ScimTestServer = {
  url: string;
  users: Map<string, Stored>;
  groups: Map<string, Stored>;
  /** Every request the provider answered, in order (for specs that check what the client sent). */
  requests: ScimRequestRecord[];
  /** The next `times` writes to this resource find it changed by someone else first (its version moves). */
  interfere(id: string, times?: number): void;
  close(): Promise<void>;
};

const etag = (r: Stored) => `W/"${r.version}"`;
const error = (status: number, scimType: string | null, detail: string) =>
  new SCIMMY.Types.Error(status, scimType as string, detail);

const GROUP_EXTENSION_DEFINITION = new SCIMMY.Types.SchemaDefinition(
  'TagGuardGroup',
  TAGGUARD_GROUP_EXTENSION,
  'A mail group’s address',
  [new SCIMMY.Types.Attribute('string', 'email')],
);
/** The group extension as a scimmy schema (the shape of scimmy's own EnterpriseUser extension). */
class TagGuardGroupSchema extends SCIMMY.Types.Schema {
  static override get id(): string {
    return TAGGUARD_GROUP_EXTENSION;
  }
  static override get definition(): InstanceType<typeof SCIMMY.Types.SchemaDefinition> {
    return GROUP_EXTENSION_DEFINITION;
  }
}

let store: { users: Map<string, Stored>; groups: Map<string, Stored> } | undefined;
let declared = false;

function declareResources(): void {
  if (declared) return;
  declared = true;
  SCIMMY.Resources.Group.extend(TagGuardGroupSchema as never, false);
  const view = (r: Stored) => {
    const { version: _v, created, lastModified, ...rest } = r;
    return { ...rest, meta: { created, lastModified, version: etag(r) } };
  };
  const handlers = (kind: 'users' | 'groups') => ({
    egress: (resource: { id?: string; filter?: { match(v: unknown[]): unknown[] } }) => {
      const map = store![kind];
      if (resource.id) {
        const found = map.get(resource.id);
        if (!found) throw error(404, null, `Resource ${resource.id} not found`);
        return view(found);
      }
      const all = [...map.values()].map(view);
      return resource.filter ? resource.filter.match(all) : all;
    },
    ingress: (resource: { id?: string }, instance: Record<string, unknown>) => {
      const map = store![kind];
      const now = new Date();
      const data = JSON.parse(JSON.stringify(instance)) as Record<string, unknown>;
      delete data['meta'];
      delete data['id'];
      if (kind === 'users') {
        for (const other of map.values())
          if (other.id !== resource.id && other['userName'] === data['userName'])
            throw error(409, 'uniqueness', `userName ${String(data['userName'])} is taken`);
      }
      if (resource.id) {
        const current = map.get(resource.id);
        if (!current) throw error(404, null, `Resource ${resource.id} not found`);
        const next: Stored = {
          ...data,
          id: current.id,
          version: current.version + 1,
          created: current.created,
          lastModified: now,
        };
        map.set(current.id, next);
        return view(next);
      }
      const created: Stored = { ...data, id: randomUUID(), version: 1, created: now, lastModified: now };
      map.set(created.id, created);
      return view(created);
    },
    degress: (resource: { id?: string }) => {
      if (!store![kind].delete(resource.id!)) throw error(404, null, `Resource ${resource.id} not found`);
      // A deleted user leaves every group (RFC 7643 §4.2: members reference existing resources).
      if (kind === 'users')
        for (const g of store!.groups.values())
          g['members'] = ((g['members'] as { value: string }[] | undefined) ?? []).filter(
            (m) => m.value !== resource.id,
          );
    },
  });
  const users = handlers('users');
  const groups = handlers('groups');
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress(users.ingress as never)
    .egress(users.egress as never)
    .degress(users.degress as never);
  SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress(groups.ingress as never)
    .egress(groups.egress as never)
    .degress(groups.degress as never);
}

export async function startScimServer(options: {
  token: string;
  requireIfMatch?: boolean;
}): Promise<ScimTestServer> {
  declareResources();
  const users = new Map<string, Stored>();
  const groups = new Map<string, Stored>();
  store = { users, groups };
  const requests: ScimRequestRecord[] = [];
  const interference = new Map<string, number>();
  const app = express();
  app.use(express.json({ type: ['application/scim+json', 'application/json'] }));

  app.use('/scim/v2', (req: Request, res: Response, next: NextFunction) => {
    // Express 5 re-parses req.query on every read, so scimmy-routers' cast of startIndex/count to numbers
    // is lost (and scimmy then ignores both): give the request one plain, writable query object.
    Object.defineProperty(req, 'query', { value: { ...req.query }, writable: true, configurable: true });
    requests.push({
      method: req.method,
      path: req.originalUrl.replace(/^\/scim\/v2/, ''),
      ...(req.header('if-match') ? { ifMatch: req.header('if-match')! } : {}),
      ...(req.body && Object.keys(req.body as object).length ? { body: req.body as unknown } : {}),
    });
    // ETag header from the resource's meta.version (single-resource answers only).
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      const version = (body as { meta?: { version?: unknown } } | undefined)?.meta?.version;
      if (typeof version === 'string' && !res.getHeader('ETag')) res.setHeader('ETag', version);
      return send(body);
    };
    const match = /^\/(Users|Groups)\/([^/?]+)/.exec(req.path);
    if (!match || !['PUT', 'PATCH', 'DELETE'].includes(req.method)) return next();
    const resource = (match[1] === 'Users' ? users : groups).get(decodeURIComponent(match[2]!));
    if (!resource) return next();
    const left = interference.get(resource.id) ?? 0;
    if (left > 0) {
      interference.set(resource.id, left - 1);
      resource.version += 1;
      resource.lastModified = new Date();
    }
    const ifMatch = req.header('if-match');
    const fail = (status: number, detail: string) =>
      res
        .status(status)
        .type('application/scim+json')
        .send(
          JSON.stringify({
            schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
            status: String(status),
            detail,
          }),
        );
    if (!ifMatch) return options.requireIfMatch === false ? next() : fail(428, 'If-Match is required');
    if (
      ifMatch !== '*' &&
      !ifMatch
        .split(',')
        .map((s) => s.trim())
        .includes(etag(resource))
    )
      return fail(412, `version is ${etag(resource)}`);
    next();
  });

  app.use(
    '/scim/v2',
    new SCIMMYRouters({
      type: 'bearer',
      docUri: 'https://datatracker.ietf.org/doc/html/rfc6750',
      handler: (req) => {
        if (req.header('authorization') !== `Bearer ${options.token}`) throw new Error('bad bearer token');
        return 'tagguard';
      },
      baseUri: (req) => `http://${req.header('host')}`,
    }),
  );

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/scim/v2`,
    users,
    groups,
    requests,
    interfere: (id, times = 1) => interference.set(id, times),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
