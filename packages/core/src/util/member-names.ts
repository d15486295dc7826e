/** Own and inherited member names of an object (not those of `Object.prototype`, nor `constructor`). */
export function memberNames(object: object): Set<string> {
  const names = new Set<string>();
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== 'constructor') names.add(name);
  }
  return names;
}
