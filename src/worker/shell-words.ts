/**
 * Splits a command line into words the way a POSIX shell does (and
 * docker-py's `shlex.split`, which Buildbot relies on for a string
 * `command`): whitespace separates words; single quotes keep everything;
 * double quotes keep everything but `\"`, `\\`, `\$` and `` \` ``; a backslash
 * outside quotes escapes the next character. No expansion of any kind.
 * @throws SyntaxError for an unclosed quote or a trailing backslash
 */
export function splitShellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new SyntaxError(`unclosed ' in ${JSON.stringify(line)}`);
      word += line.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line.charAt(j) !== '"'; j++) {
        if (line.charAt(j) === '\\' && '"\\$`'.includes(line.charAt(j + 1)) && j + 1 < line.length) j++;
        word += line.charAt(j);
      }
      if (j >= line.length) throw new SyntaxError(`unclosed " in ${JSON.stringify(line)}`);
      inWord = true;
      i = j;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new SyntaxError(`trailing backslash in ${JSON.stringify(line)}`);
      word += line.charAt(++i);
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
