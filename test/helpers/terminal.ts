/**
 * A tiny terminal for renderer tests: it interprets exactly the sequences
 * the TTY renderer may write (carriage return, newline, cursor up, erase
 * down, erase line, cursor show/hide, SGR colours) and throws on anything
 * else. Long lines wrap (counted in `wraps`) and the cursor cannot move
 * above the top of a screen of `rows` lines, as on a real terminal.
 * `screen()` is the text a person would see, scrollback included.
 */
export class FakeTerminal {
  readonly isTTY = true;
  readonly columns: number;
  readonly rows: number | undefined;
  /** Every chunk written, unchanged. */
  readonly writes: string[] = [];
  cursorVisible = true;
  /** How many times a line ran past the last column and wrapped. */
  wraps = 0;
  private lines: string[] = [''];
  private row = 0;
  private col = 0;

  constructor(columns = 80, rows?: number) {
    this.columns = columns;
    this.rows = rows;
  }

  write(chunk: string): boolean {
    this.writes.push(chunk);
    let i = 0;
    while (i < chunk.length) {
      const ch = chunk[i] as string;
      if (ch === '\x1b') {
        const m = /^\x1b\[(\??)([0-9;]*)([A-Za-z])/.exec(chunk.slice(i));
        if (!m) throw new Error(`unsupported escape at ${JSON.stringify(chunk.slice(i, i + 8))}`);
        this.control(m[1] ?? '', m[2] ?? '', m[3] ?? '');
        i += m[0].length;
        continue;
      }
      if (ch === '\r') this.col = 0;
      else if (ch === '\n') {
        this.row++;
        this.col = 0;
        while (this.lines.length <= this.row) this.lines.push('');
      } else {
        const code = ch.codePointAt(0) ?? 0;
        if (code < 0x20 || code === 0x7f) throw new Error(`control character ${code} written`);
        const glyph = String.fromCodePoint(code);
        if (this.col >= this.columns) {
          this.wraps++;
          this.row++;
          this.col = 0;
          while (this.lines.length <= this.row) this.lines.push('');
        }
        const line = [...(this.lines[this.row] ?? '')];
        while (line.length < this.col) line.push(' ');
        line[this.col] = glyph;
        this.lines[this.row] = line.join('');
        this.col++;
        i += glyph.length;
        continue;
      }
      i++;
    }
    return true;
  }

  private control(privateMode: string, params: string, final: string): void {
    const n = params === '' ? undefined : Number(params);
    if (privateMode === '?') {
      if (params === '25' && final === 'l') this.cursorVisible = false;
      else if (params === '25' && final === 'h') this.cursorVisible = true;
      else throw new Error(`unsupported private sequence ?${params}${final}`);
      return;
    }
    switch (final) {
      case 'm':
        return; // colours do not change the text
      case 'A': {
        const top = this.rows === undefined ? 0 : Math.max(0, this.lines.length - this.rows);
        this.row = Math.max(top, this.row - (n ?? 1));
        return;
      }
      case 'J':
        if ((n ?? 0) !== 0) throw new Error(`unsupported erase ${params}J`);
        this.lines[this.row] = [...(this.lines[this.row] ?? '')].slice(0, this.col).join('');
        this.lines.length = this.row + 1;
        return;
      case 'K':
        this.lines[this.row] = n === 2 ? '' : [...(this.lines[this.row] ?? '')].slice(0, this.col).join('');
        return;
      default:
        throw new Error(`unsupported sequence ${params}${final}`);
    }
  }

  /** The visible text, one string per line, trailing spaces and the empty last line dropped. */
  screen(): string[] {
    const out = this.lines.map((l) => l.replace(/\s+$/, ''));
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  }

  /** Everything written, as one string. */
  get output(): string {
    return this.writes.join('');
  }
}

/** A plain stream (a pipe): records what is written. */
export class FakePipe {
  readonly isTTY = false;
  readonly writes: string[] = [];
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
  lines(): string[] {
    return this.writes.join('').split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
  }
}
