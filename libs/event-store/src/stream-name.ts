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
