//! Input in big chunks of whole lines, so the scanner works on one validated `&str` at a time.

use std::io::{self, Read};

/// Reads input in big chunks that end at a line break, so lines never straddle two chunks.
pub struct Chunks<R> {
    input: R,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data; `buf[..start]` was handed out already.
    filled: usize,
    start: usize,
    eof: bool,
    max_line: usize,
}

/// Why no chunk could be read.
#[derive(Debug)]
pub enum ChunkError {
    /// The next line is longer than this many bytes.
    LineTooLong(usize),
    Io(io::Error),
}

impl ChunkError {
    /// The same error again (an I/O error by its kind and message), for each of several readers.
    pub fn duplicate(&self) -> ChunkError {
        match self {
            ChunkError::LineTooLong(n) => ChunkError::LineTooLong(*n),
            ChunkError::Io(e) => ChunkError::Io(io::Error::new(e.kind(), e.to_string())),
        }
    }
}

/// Chunk size; a longer line grows the buffer (up to `max_line`).
const CHUNK: usize = 1 << 20;

impl<R: Read> Chunks<R> {
    pub fn new(input: R, max_line: usize) -> Chunks<R> {
        Chunks { input, buf: vec![0; CHUNK], filled: 0, start: 0, eof: false, max_line }
    }

    /// The next run of complete lines (the last one may lack its newline at the end of input),
    /// or `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<&[u8]>, ChunkError> {
        // Keep the unfinished tail, then fill the rest.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.filled, 0);
            self.filled -= self.start;
            self.start = 0;
        }
        loop {
            if let Some(nl) = self.buf.get(..self.filled).and_then(|b| b.iter().rposition(|&c| c == b'\n')) {
                if self.eof || self.filled == self.buf.len() || nl + 1 == self.filled {
                    self.start = nl + 1;
                    return Ok(self.buf.get(..nl + 1));
                }
            }
            if self.eof {
                if self.filled == 0 {
                    return Ok(None);
                }
                self.start = self.filled;
                return Ok(self.buf.get(..self.filled));
            }
            if self.filled == self.buf.len() {
                if self.buf.len() >= self.max_line {
                    return Err(ChunkError::LineTooLong(self.max_line));
                }
                let grown = (self.buf.len() * 2).min(self.max_line.max(CHUNK));
                self.buf.resize(grown, 0);
            }
            match self.input.read(&mut self.buf[self.filled..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ChunkError::Io(e)),
            }
        }
    }
}

/// What [`each_text`] hands over: a run of whole lines, or one line that is not UTF-8 (with its
/// valid beginning, for the column of the first bad byte).
pub enum Text<'a> {
    Lines(&'a str),
    NotUtf8 { valid: &'a str },
}

/// Why [`each_text`] stopped early.
#[derive(Debug)]
pub enum TextError<E> {
    /// The input could not be read in whole lines.
    Chunk(ChunkError),
    /// `each` refused.
    Each(E),
}

/// Reads `input` to its end as runs of whole lines, each chunk validated as UTF-8 once; a chunk
/// that is not UTF-8 (rare) is split so that every bad line comes alone. `each` returns whether
/// to go on.
pub fn each_text<R: Read, E>(
    input: R,
    max_line: usize,
    mut each: impl FnMut(Text<'_>) -> Result<bool, E>,
) -> Result<(), TextError<E>> {
    let mut chunks = Chunks::new(input, max_line);
    while let Some(chunk) = chunks.next_chunk().map_err(TextError::Chunk)? {
        if let Ok(text) = std::str::from_utf8(chunk) {
            if !each(Text::Lines(text)).map_err(TextError::Each)? {
                return Ok(());
            }
            continue;
        }
        for piece in chunk.split_inclusive(|&b| b == b'\n') {
            let text = match std::str::from_utf8(piece) {
                Ok(text) => Text::Lines(text),
                Err(e) => Text::NotUtf8 { valid: std::str::from_utf8(&piece[..e.valid_up_to()]).unwrap_or_default() },
            };
            if !each(text).map_err(TextError::Each)? {
                return Ok(());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_at_line_breaks() {
        let text = "a\nbb\nccc\n".repeat(1000) + "tail";
        let mut ch = Chunks::new(std::io::Cursor::new(text.clone().into_bytes()), 1 << 20);
        let mut all = Vec::new();
        while let Some(c) = ch.next_chunk().unwrap() {
            all.extend_from_slice(c);
        }
        assert_eq!(all, text.as_bytes());
        let mut tiny = Chunks::new(std::io::Cursor::new(vec![b'x'; 3 << 20]), 2 << 20);
        assert!(matches!(tiny.next_chunk(), Err(ChunkError::LineTooLong(_))));
    }
}
