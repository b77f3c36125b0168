/** IAM-style wildcards, as the task-role pattern and team policies' instance types use them. */

/** A regular expression for `glob`: `*` any run of characters, `?` exactly one, everything else literal. */
export function wildcardToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((character) =>
      character === '*' ? '.*' : character === '?' ? '.' : character.replace(/[\\^$.+()[\]{}|]/g, '\\$&'),
    )
    .join('');
  return new RegExp(`^${body}$`, 's');
}
