// Client text bound for Postgres: `text` columns refuse NUL, so it is refused at the edge (400)
// instead of failing the query (500).
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f]/;

export const hasControlChars = (s: string): boolean => CONTROL.test(s);

/** An http(s) URL with a host and no control characters. */
export function isHttpUrl(s: string): boolean {
  if (hasControlChars(s) || !/^https?:\/\/[^\s/]+/.test(s)) return false;
  return URL.canParse(s);
}
