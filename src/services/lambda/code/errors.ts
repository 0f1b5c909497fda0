/**
 * The errors Lambda returns for a bad code package. All are InvalidParameterValueException
 * (400) with the body member `Type: "User"` and a lowercase `message`, as Lambda sends them.
 * The wording is AWS's own; the reason we keep for logs goes in `cause`, never to the client.
 */
import { InvalidParameterValueException } from '../errors.js';

export { InvalidParameterValueException };

/** Corrupt or unreadable archive, or an entry we refuse to unpack (path escape, bad link). */
export function couldNotUnzip(reason: string): InvalidParameterValueException {
  const error = new InvalidParameterValueException(
    'Could not unzip uploaded file. Please check your file, then try to upload again.',
  );
  error.cause = reason;
  return error;
}

/** AWS says "smaller than", and rejects packages whose unzipped total exceeds the limit. */
export function unzippedTooLarge(limit: number): InvalidParameterValueException {
  return new InvalidParameterValueException(`Unzipped size must be smaller than ${limit} bytes`);
}

/** A zip with no entries (AWS answers this for the 22-byte empty archive). */
export function emptyZip(): InvalidParameterValueException {
  return new InvalidParameterValueException('Uploaded file must be a non-empty zip');
}
