import { idAfterTenant, tenantScopedId } from './stream-name';

// A tenant-scoped stream id must name one (tenant, id) pair only: neither tenant ids nor object ids
// exclude '.', the separator.
describe('tenantScopedId', () => {
  it('given tenant acme id x.y and tenant acme.x id y, then the two ids differ', () => {
    expect(tenantScopedId('acme', 'x.y')).not.toBe(tenantScopedId('acme.x', 'y'));
  });

  it('given tenants whose escapes could meet, then the ids still differ', () => {
    const pairs: [string, string][] = [
      ['a', 'b.c'],
      ['a.b', 'c'],
      ['a%2E', 'b'],
      ['a%', '2E.b'],
      ['a%25', 'x'],
      ['a%', '25.x'],
    ];
    const ids = pairs.map(([t, i]) => tenantScopedId(t, i));
    expect(new Set(ids).size).toBe(pairs.length);
  });

  it('given an ordinary tenant id, then the id is written as before (existing streams keep their names)', () => {
    expect(tenantScopedId('tenant-a', 'e1.x')).toBe('tenant-a.e1.x');
  });

  it('given a dotted tenant, then the object id is read back whole', () => {
    for (const [t, i] of [
      ['acme.x', 'y'],
      ['acme', 'x.y'],
      ['a%b.c', 'd%.e'],
    ] as const)
      expect(idAfterTenant(t, tenantScopedId(t, i))).toBe(i);
  });
});
