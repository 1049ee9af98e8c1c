/** The digest period a warning joins: periods are aligned to the epoch, so every instance agrees on them. */
export function digestWindow(atMs: number, periodMs: number): { startMs: number; endMs: number } {
  const startMs = Math.floor(atMs / periodMs) * periodMs;
  return { startMs, endMs: startMs + periodMs };
}

/** One digest per (channel, target, period): a warning arriving in that period joins it. */
export function digestKey(channelId: string, target: string, startMs: number): string {
  return `digest:${channelId}:${target}:${new Date(startMs).toISOString()}`;
}

export type DigestItem = { notificationId: string; summary: string; occurredAt: string };

/** The digest's one-line subject and its body: one line per warning, in arrival order. */
export function renderDigest(
  target: string,
  startMs: number,
  endMs: number,
  items: DigestItem[],
): { subject: string; text: string } {
  const subject = `TagGuard: ${items.length} warning${items.length === 1 ? '' : 's'} for ${target} (${new Date(startMs).toISOString()} – ${new Date(endMs).toISOString()})`;
  return { subject, text: items.map((i) => `${i.occurredAt} ${i.summary}`).join('\n') };
}
