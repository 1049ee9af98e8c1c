import { customerStream, employeeStream, partnerStream } from './streams';

// Two tenants never share a stream, whatever dots their ids carry.
describe('directory streams', () => {
  it('given tenant acme employee x.y and tenant acme.x employee y, then their streams differ', () => {
    expect(employeeStream('acme', 'x.y')).not.toBe(employeeStream('acme.x', 'y'));
    expect(partnerStream('acme', 'x.y')).not.toBe(partnerStream('acme.x', 'y'));
    expect(customerStream('acme', 'x.y')).not.toBe(customerStream('acme.x', 'y'));
  });

  it('given an ordinary tenant id, then the stream keeps its name', () => {
    expect(employeeStream('tenant-a', 'zhangsan')).toBe('directoryEmployee-tenant-a.zhangsan');
  });
});
