/**
 * A syntax check of image references (`distribution/reference` grammar):
 * `[registry[:port]/]path[:tag][@algo:digest]`, path components lower-case.
 * Catches typos and upper-case names before a pull or a build is attempted.
 */

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_PART = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_PART}(?:\\.${DOMAIN_PART})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

/** Why `reference` is not an image reference, or undefined when it is one. */
export function imageReferenceProblem(reference: string): string | undefined {
  if (reference === '') return 'empty image reference';
  if (reference.length > 255 + 128 + 80) return 'image reference too long';
  if (/\s/.test(reference)) return `"${reference}" contains whitespace`;
  const m = REFERENCE.exec(reference);
  if (!m) {
    return /[A-Z]/.test(reference)
      ? `"${reference}" is not an image reference: repository names must be lower-case`
      : `"${reference}" is not an image reference ([registry/]name[:tag][@digest])`;
  }
  if ((m[2] ?? '').length > 255) return 'repository name longer than 255 characters';
  return undefined;
}
