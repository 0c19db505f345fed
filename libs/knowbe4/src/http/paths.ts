/** Keeps proxied paths inside the base URL: no scheme, no host, no dot segments. */
export function safeRelativePath(path: string): string {
  const withSlash = path.startsWith('/') ? path : `/${path}`;
  const decoded = decodeURIComponent(withSlash);
  const dotSegment = decoded.split('/').some((part) => part === '..' || part === '.');
  if (withSlash.startsWith('//') || /[?#\\]/.test(withSlash) || dotSegment) {
    throw new TypeError(`refusing to request an unsafe path: ${path.slice(0, 100)}`);
  }
  return withSlash;
}
