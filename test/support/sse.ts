export interface SseEvent {
  event: string;
  data: string;
  id?: string;
}

/** A real EventSource-style reader over fetch: yields events as the server sends them. */
export async function* readEvents(url: string, init: RequestInit = {}): AsyncGenerator<SseEvent> {
  const res = await fetch(url, init);
  if (res.status !== 200 || !res.body) throw new Error(`event stream answered ${res.status}`);
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    for (let end = buffer.indexOf("\n\n"); end !== -1; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const e: SseEvent = { event: "message", data: "" };
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) e.event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
        else if (line.startsWith("id: ")) e.id = line.slice(4);
      }
      if (data.length === 0) continue;
      e.data = data.join("\n");
      yield e;
    }
  }
}
