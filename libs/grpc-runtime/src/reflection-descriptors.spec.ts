import { mapEntryName } from './reflection-descriptors';

describe('mapEntryName (protoc: the field in CamelCase + "Entry")', () => {
  it.each([
    ['attributes', 'AttributesEntry'],
    ['step_seconds', 'StepSecondsEntry'],
    ['a__b', 'ABEntry'],
    ['item_2_count', 'Item2CountEntry'],
  ])('names the entry of map field %s %s', (field, entry) => {
    expect(mapEntryName(field)).toBe(entry);
  });
});
