/** `FooBar` → `foo_bar`, `HTTPServer` → `http_server`, `already_snake` unchanged. */
export function snakeCase(name: string): string {
  return name
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toLowerCase();
}

const SEGMENT = /^[A-Za-z0-9_.~-]+$/;

/** True when `segment` can appear between slashes of a route. */
export function isRouteSegment(segment: string): boolean {
  return typeof segment === 'string' && SEGMENT.test(segment);
}

/** Joins a prefix and a method name into a route: (`foo`, `bar`) → `/foo/bar`. */
export function routeOf(prefix: string, name: string): string {
  return `/${prefix}/${name}`;
}
