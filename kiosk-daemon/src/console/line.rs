//! Sans-IO line editing for the serial console: bytes in, echo bytes and whole lines out.
//!
//! Tolerates what terminal programs send (minicom, picocom, screen, PuTTY): CR, LF or CRLF line
//! ends, backspace as 0x08 or 0x7F, ANSI escape sequences (arrow keys) ignored, other control
//! characters dropped. Lines are capped at [`MAX_LINE`] bytes: an overlong line is discarded
//! whole and reported, never buffered without bound. Invalid UTF-8 is replaced, not fatal.

/// The longest line accepted, in bytes.
pub const MAX_LINE: usize = 256;

/// What one pushed byte produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to echo back (empty while echo is off, e.g. during code entry).
    Echo(Vec<u8>),
    /// A complete line (without its ending).
    Line(String),
    /// The line grew past [`MAX_LINE`] and was discarded.
    Overlong,
}

#[derive(Debug, Default)]
pub struct LineEditor {
    buf: Vec<u8>,
    echo: bool,
    last_cr: bool,
    escape: Escape,
    overlong: bool,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    /// After ESC.
    Start,
    /// Inside `ESC [` … up to a final byte; counts the bytes so far.
    Csi(u8),
}

impl LineEditor {
    pub fn new() -> LineEditor {
        LineEditor { echo: true, ..LineEditor::default() }
    }

    /// Echo on (normal) or off (secret entry).
    pub fn set_echo(&mut self, on: bool) {
        self.echo = on;
    }

    pub fn echo(&self) -> bool {
        self.echo
    }

    /// Drops a partly typed line.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.overlong = false;
    }

    /// Feeds one byte.
    pub fn push(&mut self, b: u8) -> Option<Output> {
        // A control character ends an escape sequence and is then handled as itself (as real
        // terminals do), so line noise can never swallow the Enter that follows it. Sequences
        // are also cut off after a few bytes.
        if self.escape != Escape::None && b < 0x20 {
            self.escape = Escape::None;
        }
        match self.escape {
            Escape::Start => {
                self.escape = if b == b'[' || b == b'O' { Escape::Csi(0) } else { Escape::None };
                return None;
            }
            Escape::Csi(n) => {
                self.escape = if (0x40..=0x7E).contains(&b) || n >= 16 { Escape::None } else { Escape::Csi(n + 1) };
                return None;
            }
            Escape::None => {}
        }
        let was_cr = std::mem::replace(&mut self.last_cr, false);
        match b {
            b'\r' | b'\n' => {
                if b == b'\n' && was_cr {
                    return None; // the LF of a CRLF
                }
                self.last_cr = b == b'\r';
                if std::mem::take(&mut self.overlong) {
                    self.buf.clear();
                    return Some(Output::Overlong);
                }
                let line = String::from_utf8_lossy(&self.buf).into_owned();
                self.buf.clear();
                Some(Output::Line(line))
            }
            0x08 | 0x7F => {
                if self.overlong {
                    return None;
                }
                // Remove one whole UTF-8 character.
                let mut removed = false;
                while let Some(last) = self.buf.pop() {
                    removed = true;
                    if last & 0xC0 != 0x80 {
                        break;
                    }
                }
                (removed && self.echo).then(|| Output::Echo(b"\x08 \x08".to_vec()))
            }
            0x1B => {
                self.escape = Escape::Start;
                None
            }
            0x03 => {
                // Ctrl-C: abandon the line.
                self.clear();
                Some(Output::Line(String::new()))
            }
            b if b < 0x20 => None,
            b => {
                if self.overlong {
                    return None;
                }
                if self.buf.len() >= MAX_LINE {
                    self.overlong = true;
                    self.buf.clear();
                    return None;
                }
                self.buf.push(b);
                self.echo.then(|| Output::Echo(vec![b]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(e: &mut LineEditor, bytes: &[u8]) -> Vec<Output> {
        bytes.iter().filter_map(|b| e.push(*b)).collect()
    }

    fn lines(out: &[Output]) -> Vec<String> {
        out.iter().filter_map(|o| if let Output::Line(l) = o { Some(l.clone()) } else { None }).collect()
    }

    #[test]
    fn line_endings_backspace_and_escapes() {
        let mut e = LineEditor::new();
        let out = feed(&mut e, b"statx\x7fus\r\nhelp\rlog\nsel\x1b[Dftest\x08\x08st all\r");
        assert_eq!(lines(&out), vec!["status", "help", "log", "selftest all"]);
        let echoed: Vec<u8> = out.iter().flat_map(|o| if let Output::Echo(b) = o { b.clone() } else { vec![] }).collect();
        assert!(echoed.starts_with(b"statx\x08 \x08us"));
    }

    #[test]
    fn noise_inside_an_escape_sequence_never_swallows_a_line() {
        let mut e = LineEditor::new();
        // ESC [ then Enter: the Enter still ends the line; the next command arrives whole.
        let out = feed(&mut e, b"\x1b[\r\nhelp\r");
        assert_eq!(lines(&out), vec!["", "help"]);
        let out = feed(&mut e, b"\x1b[1111111111111111111111111help\r");
        assert!(lines(&out)[0].ends_with("help"), "{out:?}");
    }

    #[test]
    fn secrets_are_not_echoed() {
        let mut e = LineEditor::new();
        e.set_echo(false);
        let out = feed(&mut e, b"246810\r");
        assert_eq!(out, vec![Output::Line("246810".into())]);
    }

    #[test]
    fn overlong_lines_are_dropped_whole() {
        let mut e = LineEditor::new();
        let mut input = vec![b'a'; MAX_LINE + 10];
        input.extend_from_slice(b"\rok\r");
        let out = feed(&mut e, &input);
        assert!(out.contains(&Output::Overlong));
        assert_eq!(lines(&out), vec!["ok"]);
    }

    #[test]
    fn utf8_backspace_removes_whole_characters_and_bad_bytes_are_replaced() {
        let mut e = LineEditor::new();
        let out = feed(&mut e, "配置\x7f".as_bytes());
        assert!(out.iter().any(|o| *o == Output::Echo(b"\x08 \x08".to_vec())));
        let out = feed(&mut e, b"\xff\xfe\r");
        assert_eq!(lines(&out), vec!["配\u{FFFD}\u{FFFD}"]);
    }

    #[test]
    fn random_bytes_never_panic_and_stay_bounded() {
        let mut e = LineEditor::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if let Some(Output::Line(l)) = e.push(x as u8) {
                assert!(l.len() <= MAX_LINE * 3);
            }
            assert!(e.buf.len() <= MAX_LINE);
        }
    }
}
