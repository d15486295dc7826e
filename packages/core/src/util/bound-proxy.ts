/**
 * `target` seen through a proxy: the members named in `overrides` are replaced, every other method
 * runs bound to `target` itself (class instances may use private fields), other members pass through.
 */
export function boundProxy<T extends object>(target: T, overrides: Readonly<Record<PropertyKey, unknown>>): T {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(object, property) {
      if (Object.hasOwn(overrides, property)) return overrides[property as string];
      const value = Reflect.get(object, property, object);
      if (typeof value !== 'function') return value;
      let fn = bound.get(property);
      if (!fn) {
        fn = value.bind(object);
        bound.set(property, fn);
      }
      return fn;
    },
  });
}
