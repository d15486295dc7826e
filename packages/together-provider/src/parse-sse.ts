/**
 * Splits a `text/event-stream` body into the data of its events. Lines end with CRLF, LF or CR
 * (a CR at the end of a chunk waits for the next one, which may start with the LF of the same
 * line ending). Multi-line `data:` fields are joined with newlines; comments and other fields are
 * skipped. Yields each event's data string; an event cut off by the end of the body is dropped,
 * as the specification says.
 */
export async function* parseSse(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const lines = function* (final: boolean): Generator<string> {
    let start = 0;
    for (;;) {
      const cr = buffer.indexOf('\r', start);
      const lf = buffer.indexOf('\n', start);
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      if (end === -1) break;
      // A CR as the last character may be the first half of a CRLF still in transit.
      if (end === cr && end === buffer.length - 1 && !final) break;
      yield buffer.slice(start, end);
      start = end + (end === cr && buffer[end + 1] === '\n' ? 2 : 1);
    }
    buffer = buffer.slice(start);
  };
  const take = (line: string): string | undefined => {
    if (line === '') {
      const event = data.length > 0 ? data.join('\n') : undefined;
      data = [];
      return event;
    }
    if (line.startsWith('data:')) data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    return undefined;
  };
  for await (const chunk of body) {
    buffer += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    for (const line of lines(false)) {
      const event = take(line);
      if (event !== undefined) yield event;
    }
  }
  buffer += decoder.decode();
  for (const line of lines(true)) {
    const event = take(line);
    if (event !== undefined) yield event;
  }
}
