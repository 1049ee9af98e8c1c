/** Streams are named `<category>-<id>`; the category never contains a dash, the id may. */
export function streamName(category: string, id: string): string {
  if (!/^[a-z][a-zA-Z0-9_]*$/.test(category)) throw new Error(`invalid stream category "${category}"`);
  if (!id) throw new Error('stream id must not be empty');
  return `${category}-${id}`;
}

export function categoryOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? stream : stream.slice(0, dash);
}

export function idOf(stream: string): string {
  const dash = stream.indexOf('-');
  return dash < 0 ? '' : stream.slice(dash + 1);
}

/**
 * `<tenant>.<id>` for a stream id scoped to a tenant, injective: '%' and '.' in the tenant are escaped
 * (`%25`, `%2E`), so the first '.' always ends the tenant and tenant `acme` id `x.y` never meets tenant
 * `acme.x` id `y`. An ordinary tenant id (neither character) is written as is, so existing names stay.
 */
export function tenantScopedId(tenantId: string, id: string): string {
  return `${escapeTenant(tenantId)}.${id}`;
}

/** The id after the tenant part of a tenantScopedId. */
export function idAfterTenant(tenantId: string, scopedId: string): string {
  return scopedId.slice(escapeTenant(tenantId).length + 1);
}

const escapeTenant = (tenantId: string): string => tenantId.replace(/%/g, '%25').replace(/\./g, '%2E');
