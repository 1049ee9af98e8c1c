import { describeDownstreamDirectoryContract } from '../port/downstream-directory.contract';
import { DownstreamUnavailableError } from '../port/downstream-directory.port';
import { HttpMemoryDownstreamDirectory, MemoryDownstream, MemoryDownstreamServer } from './memory-downstream';

describeDownstreamDirectoryContract('in-memory (test support)', async () => ({
  port: new MemoryDownstream().port(),
}));

describeDownstreamDirectoryContract('in-memory over HTTP (test support)', async () => {
  const server = await MemoryDownstreamServer.start();
  return { port: new HttpMemoryDownstreamDirectory(server.url), cleanup: () => server.stop() };
});

describe('the HTTP test downstream', () => {
  it('given the server stopped, then a write is DownstreamUnavailableError, and after listen() it applies', async () => {
    const server = await MemoryDownstreamServer.start();
    const port = new HttpMemoryDownstreamDirectory(server.url);
    await server.stop();
    await expect(
      port.upsertAccount({ employeeId: 'a', email: 'a@x.test', displayName: 'A', active: true }),
    ).rejects.toBeInstanceOf(DownstreamUnavailableError);
    await server.listen();
    await port.upsertAccount({ employeeId: 'a', email: 'a@x.test', displayName: 'A', active: true });
    expect([...server.downstream.accounts.keys()]).toEqual(['a']);
    await server.stop();
  });
});
