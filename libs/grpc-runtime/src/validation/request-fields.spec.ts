import { protoRoot } from '../proto-root';
import { RequestFieldError, RequestSchema } from './request-fields';

// The requests as Nest's loader hands them over: camelCase keys, defaults filled, enums as names (an
// unknown number stays a number).
const schema = RequestSchema.load(protoRoot(), [
  'tagguard/tag/v1/tag_service.proto',
  'tagguard/tag/v1/member_service.proto',
  'tagguard/tag/v1/time_machine_service.proto',
]);
const CREATE = '/tagguard.tag.v1.TagService/CreateTag';
const ADD = '/tagguard.tag.v1.TagMemberService/AddMembers';
const problem = (path: string, request: object): { field: string; message: string } | undefined => {
  try {
    schema.check(path, request);
    return undefined;
  } catch (error) {
    if (!(error instanceof RequestFieldError)) throw error;
    return { field: error.field, message: error.message };
  }
};

describe('RequestSchema.check (the string and enum rule for every request field)', () => {
  it('knows every method of the loaded services by its gRPC path', () => {
    expect(schema.methodPaths()).toEqual(
      expect.arrayContaining([CREATE, ADD, '/tagguard.tag.v1.TimeMachineService/RebuildReadModels']),
    );
  });

  it('accepts a clean request', () => {
    expect(
      problem(CREATE, {
        tagId: 'x',
        name: 'VIP 客户',
        kind: 'TAG_KIND_CUSTOMER',
        nodeType: 'TAG_NODE_TYPE_TAG',
      }),
    ).toBeUndefined();
  });

  it.each([
    ['NUL', 'a\u0000b', 'U+0000'],
    ['ESC', '\u001b[31mred', 'U+001B'],
    ['DEL', 'a\u007f', 'U+007F'],
    ['a C1 control', 'a\u0085', 'U+0085'],
    ['a newline', 'two\nlines', 'U+000A'],
  ])('refuses %s in a name, naming the field', (_what, name, point) => {
    expect(problem(CREATE, { tagId: 'x', name })).toEqual({
      field: 'name',
      message: expect.stringContaining(point),
    });
  });

  it('lets a free-text field hold TAB, LF and CR, but not NUL', () => {
    expect(problem(CREATE, { name: 'n', description: 'line 1\r\n\tline 2' })).toBeUndefined();
    expect(problem(CREATE, { name: 'n', description: 'bad\u0000' })).toMatchObject({ field: 'description' });
  });

  it('refuses an enum number outside the enum, and a name that is not one of its values', () => {
    expect(problem(CREATE, { name: 'n', nodeType: 7 })).toEqual({
      field: 'node_type',
      message: expect.stringContaining('TAG_NODE_TYPE_GROUP'),
    });
    expect(problem(CREATE, { name: 'n', kind: 'TAG_KIND_ROOT' })).toMatchObject({ field: 'kind' });
    expect(problem(CREATE, { name: 'n', nodeType: 2 })).toBeUndefined();
  });

  it('walks repeated fields, nested messages and maps, naming the path with proto names', () => {
    const member = (m: object) => ({ kind: 'MEMBER_KIND_CUSTOMER', id: 'c', attributes: {}, ...m });
    expect(
      problem(ADD, { tagId: 't', members: [member({}), member({}), member({ id: 'c\u0000' })] }),
    ).toMatchObject({
      field: 'members[2].id',
    });
    expect(problem(ADD, { tagId: 't', members: [member({ kind: 9 })] })).toMatchObject({
      field: 'members[0].kind',
    });
    expect(
      problem(ADD, { tagId: 't', members: [member({ attributes: { city: 'x\u0001' } })] }),
    ).toMatchObject({
      field: 'members[0].attributes["city"]',
    });
    expect(
      problem(ADD, { tagId: 't', members: [member({ attributes: { 'ci\u0000ty': 'x' } })] }),
    ).toMatchObject({
      field: 'members[0].attributes',
    });
    expect(
      problem('/tagguard.tag.v1.TimeMachineService/GetTagAsOf', {
        tagId: 't',
        asOf: { timestamp: '2026\u0000' },
      }),
    ).toMatchObject({ field: 'as_of.timestamp' });
  });
});
