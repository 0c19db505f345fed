export interface OpenStream {
  /** Everything the stream sent so far. */
  text(): string;
  close(): void;
}

/** GET /events/stream with a key, read in the background until closed; resolves once its `ready` event arrived. */
export async function openStream(gatewayUrl: string, apiKey: string): Promise<OpenStream> {
  const abort = new AbortController();
  const response = await fetch(`${gatewayUrl}/events/stream`, { headers: { authorization: `Bearer ${apiKey}` }, signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`/events/stream answered ${response.status}`);
  let text = '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
        if (text.includes('event: ready')) markReady();
      }
    } catch {
      // closed
    }
  })();
  await ready;
  return { text: () => text, close: () => abort.abort() };
}
