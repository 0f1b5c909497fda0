/**
 * The object key as S3 writes it into an event record: URL-encoded like Java's
 * `URLEncoder.encode` (form encoding: space → `+`, UTF-8 bytes as upper-case `%XX`; letters,
 * digits and `.-_*` kept), except that `/` is kept. Recorded: `a@b` → `a%40b`
 * (test_key_encoding) and `testupload/dir1/testfile.txt` unchanged; AWS's documentation gives
 * `red flower.jpg` → `red+flower.jpg`. Prefix/suffix filters are compared with this encoded form,
 * which is why AWS asks for special characters in filter values to be given URL-encoded.
 */

const KEPT = /[A-Za-z0-9.\-_*/]/;

export function encodeEventKey(key: string): string {
  let out = '';
  for (const ch of key) {
    if (KEPT.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else
      for (const byte of Buffer.from(ch, 'utf8'))
        out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
