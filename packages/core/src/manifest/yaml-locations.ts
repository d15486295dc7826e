import { EVENT_ID, parseEvents, type Event } from 'js-yaml';

/**
 * Maps each value's path (`capabilities.1`, `env.0.name`) to its 1-based line in `source`,
 * so that validation problems can point at the line to fix.
 */
export function yamlLocations(source: string): Map<string, number> {
  const events = parseEvents(source, { maxDepth: 16 });
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0,
      hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const out = new Map<string, number>();
  let index = 0;
  const offsetOf = (event: Event) => ('start' in event ? event.start : 'valueStart' in event ? event.valueStart : 0);
  const walk = (path: string): void => {
    const event = events[index++];
    if (!event) return;
    if (event.type !== EVENT_ID.DOCUMENT && event.type !== EVENT_ID.POP) out.set(path, lineOf(offsetOf(event)));
    if (event.type === EVENT_ID.MAPPING) {
      while (events[index] && events[index]!.type !== EVENT_ID.POP) {
        const keyEvent = events[index]!;
        const key = keyEvent.type === EVENT_ID.SCALAR ? source.slice(keyEvent.valueStart, keyEvent.valueEnd).replace(/^["']|["']$/g, '') : '?';
        index++;
        const child = path ? `${path}.${key}` : key;
        out.set(`${child}#key`, lineOf(offsetOf(keyEvent)));
        walk(child);
      }
      index++;
    } else if (event.type === EVENT_ID.SEQUENCE) {
      let i = 0;
      while (events[index] && events[index]!.type !== EVENT_ID.POP) walk(path ? `${path}.${i++}` : String(i++));
      index++;
    } else if (event.type === EVENT_ID.DOCUMENT) {
      walk(path);
      index++;
    }
  };
  walk('');
  return out;
}
