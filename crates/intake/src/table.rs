//! Provider files as tables of text cells, whatever their format: CSV (any delimiter, UTF-8 with or
//! without BOM, UTF-16 with BOM, or a legacy encoding such as Windows-1252, detected and reported),
//! XLSX, and ODK/Kobo exports of either. Rows are numbered as a spreadsheet shows them, whatever
//! the line ends (`\n`, `\r\n`, `\r`) and however many lines a quoted cell spans. Reading never trusts the
//! file: sizes are capped, encodings checked line by line, and archives inspected before opening.

use std::io::{BufRead, BufReader, Read};

use crate::IntakeError;
use crate::messages::msg;
use crate::repair::{EncodingProbe, TextEncoding};
use crate::report::CellError;

/// Limits applied while reading a file.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_bytes: u64,
    /// Largest total uncompressed size of an XLSX archive (zip-bomb guard), and of the text of
    /// one sheet.
    pub max_unzipped_bytes: u64,
    /// Most columns a file may have (its header, or an XLSX sheet's extent).
    pub max_columns: u32,
    /// Most filled cells read from one XLSX sheet.
    pub max_cells: usize,
    /// Longest line of a text file, in bytes: a row of 2,048 long cells fits in a small part
    /// of it, and a longer line would make the CSV parser hold millions of field offsets.
    pub max_line_bytes: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_bytes: 100 * 1024 * 1024,
            max_unzipped_bytes: 400 * 1024 * 1024,
            max_columns: 2048,
            max_cells: 10_000_000,
            max_line_bytes: 4 * 1024 * 1024,
        }
    }
}

/// What a Tessera template says about itself (hidden `_meta` sheet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateMeta {
    pub dictionary_version: Option<String>,
    pub provider_type: Option<String>,
    pub entities: Vec<String>,
}

/// One data row: its 1-based row as a spreadsheet shows it and its cells (one buffer for the
/// whole row, not a string per cell), or a problem reading it.
pub enum TableRow {
    Cells(usize, csv::StringRecord),
    Bad(CellError),
}

/// A file read as a header and rows of text.
pub struct Table<'a> {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Box<dyn Iterator<Item = TableRow> + Send + 'a>,
    /// Problems found while reading the whole sheet (formula or merged cells).
    pub problems: Vec<CellError>,
    pub meta: Option<TemplateMeta>,
    /// For a text file, the encoding it was read in (known once its rows are read); `None` for
    /// a workbook.
    pub encoding: Option<EncodingProbe>,
}

impl Table<'static> {
    /// Rows given as text cells rather than read from a file — the records of a JSON request —
    /// numbered from 1 as the records are, with the problems already found in them (a key that
    /// is no variable, say) reported beside the rows' own.
    pub fn from_rows(
        name: &str,
        header: Vec<String>,
        rows: Vec<Vec<String>>,
        problems: Vec<CellError>,
    ) -> Table<'static> {
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, cells)| TableRow::Cells(i + 1, csv::StringRecord::from(cells)));
        Table {
            name: name.to_string(),
            header,
            rows: Box::new(rows),
            problems,
            meta: None,
            encoding: None,
        }
    }
}

/// Kinds of file told apart by their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Xlsx,
    /// An OLE compound file: an encrypted (password-protected) workbook or a legacy .xls.
    Ole,
    Text,
}

pub fn sniff(first: &[u8]) -> FileKind {
    if first.starts_with(b"PK\x03\x04") {
        FileKind::Xlsx
    } else if first.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        FileKind::Ole
    } else {
        FileKind::Text
    }
}

/// Reads a file of any supported kind. `lang` is the language of the messages.
pub fn open_table<'a>(
    mut input: Box<dyn Read + Send + 'a>,
    name: &str,
    entity: &str,
    limits: Limits,
    lang: &str,
) -> Result<Table<'a>, IntakeError> {
    let unreadable = |message: String| IntakeError::Unreadable {
        file: name.to_string(),
        message,
    };
    let mut head = [0u8; 8];
    let n = read_up_to(&mut input, &mut head).map_err(|e| unreadable(e.to_string()))?;
    let head = &head[..n];
    let rest = std::io::Cursor::new(head.to_vec()).chain(input);
    match sniff(head) {
        FileKind::Ole => Err(unreadable(
            "the workbook is password-protected (encrypted) or in the old .xls format: remove the password and save it as .xlsx".into(),
        )),
        FileKind::Xlsx => {
            let mut bytes = Vec::new();
            rest.take(limits.max_bytes + 1).read_to_end(&mut bytes).map_err(|e| unreadable(e.to_string()))?;
            if bytes.len() as u64 > limits.max_bytes {
                return Err(unreadable(too_large(limits)));
            }
            crate::xlsx::read_xlsx(bytes, name, entity, limits, lang)
        }
        FileKind::Text => csv_table(Box::new(rest), name, limits, lang),
    }
}

fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn too_large(limits: Limits) -> String {
    format!(
        "the file is larger than {} MB; split it into several files",
        limits.max_bytes / 1024 / 1024
    )
}

/// A reader that fails once more than `left` bytes have been read.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                too_large(Limits {
                    max_bytes: self.limit,
                    ..Limits::default()
                }),
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A reader that fails once a line (bytes between two line ends, `\n` or `\r`) grows past `max`
/// bytes.
struct LineCapped<R> {
    inner: R,
    run: u64,
    max: u64,
}

impl<R: Read> Read for LineCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.run = match chunk.iter().rposition(|&b| b == b'\n' || b == b'\r') {
            Some(last) => {
                let first = chunk
                    .iter()
                    .position(|&b| b == b'\n' || b == b'\r')
                    .unwrap_or(last);
                if self.run + first as u64 > self.max {
                    return Err(line_too_long(self.max));
                }
                (n - last - 1) as u64
            }
            None => self.run + n as u64,
        };
        if self.run > self.max {
            return Err(line_too_long(self.max));
        }
        Ok(n)
    }
}

fn line_too_long(max: u64) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!(
            "a line of the file is longer than {} MB; is it a data file with one record per line?",
            max / 1024 / 1024
        ),
    )
}

/// Picks the delimiter of a header line: the most frequent of `,`, `;` and tab outside quotes
/// (French-language Excel writes `;`).
fn sniff_delimiter(line: &str) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3)
        .max_by_key(|&i| (counts[i], usize::from(i == 0)))
        .unwrap_or(0);
    [b',', b';', b'\t'][best]
}

fn csv_table<'a>(
    input: Box<dyn Read + Send + 'a>,
    name: &str,
    limits: Limits,
    lang: &str,
) -> Result<Table<'a>, IntakeError> {
    let unreadable = |message: String| IntakeError::Unreadable {
        file: name.to_string(),
        message,
    };
    let mut reader = BufReader::with_capacity(
        1 << 16,
        LineCapped {
            inner: Capped {
                inner: input,
                left: limits.max_bytes,
                limit: limits.max_bytes,
            },
            run: 0,
            max: limits.max_line_bytes,
        },
    );
    let start = reader.fill_buf().map_err(|e| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            unreadable(too_large(limits))
        } else {
            unreadable(e.to_string())
        }
    })?;
    let probe = EncodingProbe::default();
    // UTF-16 (Excel's "Unicode text"): decode whole, it is small by construction of the limit.
    let text: Box<dyn Read + Send + 'a> =
        if start.starts_with(&[0xFF, 0xFE]) || start.starts_with(&[0xFE, 0xFF]) {
            let le = start.starts_with(&[0xFF, 0xFE]);
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes).map_err(|e| {
                if e.kind() == std::io::ErrorKind::FileTooLarge {
                    unreadable(too_large(limits))
                } else {
                    unreadable(e.to_string())
                }
            })?;
            let units: Vec<u16> = bytes[2..]
                .chunks_exact(2)
                .map(|c| {
                    if le {
                        u16::from_le_bytes([c[0], c[1]])
                    } else {
                        u16::from_be_bytes([c[0], c[1]])
                    }
                })
                .collect();
            let text = char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| unreadable("the UTF-16 text is damaged".into()))?;
            probe.set(TextEncoding::Utf16);
            Box::new(std::io::Cursor::new(text.into_bytes()))
        } else {
            // A UTF-8 byte-order mark declares the encoding: nothing is guessed then, and a
            // stray byte is a row that is not UTF-8.
            let declared = start.starts_with(&[0xEF, 0xBB, 0xBF]);
            if declared {
                reader.consume(3);
            }
            let mut t = Transcoder::new(reader, probe.clone(), lang);
            if declared {
                t.mode = Mode::Utf8;
            }
            Box::new(t)
        };
    let mut text = BufReader::with_capacity(1 << 16, text);
    // The whole first line, however the reads were split, decides the delimiter; it is then put
    // back in front of the rest.
    let first = first_line(&mut text, 1 << 20).map_err(|e| unreadable(e.to_string()))?;
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(&first));
    let reader = RowCounter::new(std::io::Cursor::new(first).chain(text), delimiter);
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(false)
        .from_reader(reader);
    let mut header_rec = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut header_rec) {
        Ok(true) => {}
        Ok(false) => return Err(unreadable("the file is empty".into())),
        Err(e) => return Err(unreadable(e.to_string())),
    }
    let end = rdr.position().byte();
    rdr.get_mut().row_ending_at(end);
    if header_rec.len() > limits.max_columns as usize {
        return Err(unreadable(format!(
            "the first line has {} columns; a data file has at most {}: is it the right file, with one header line?",
            header_rec.len(),
            limits.max_columns
        )));
    }
    let header: Vec<String> = header_rec
        .iter()
        .map(|f| std::str::from_utf8(f).map(str::to_string))
        .collect::<Result<_, _>>()
        .map_err(|_| unreadable(format!("line 1 {}", msg(lang, "row-not-utf8", &[]))))?;
    let lang = lang.to_string();
    let limits_msg = too_large(limits);
    let mut rec = csv::ByteRecord::new();
    let mut done = false;
    let rows = std::iter::from_fn(move || {
        if done {
            return None;
        }
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => None,
            Ok(true) => {
                let end = rdr.position().byte();
                let row = rdr.get_mut().row_ending_at(end);
                match csv::StringRecord::from_byte_record(rec.clone()) {
                    Ok(cells) => Some(TableRow::Cells(row, cells)),
                    Err(_) => Some(TableRow::Bad(CellError::new(
                        row,
                        "",
                        "",
                        "encoding",
                        msg(&lang, "row-not-utf8", &[]),
                    ))),
                }
            }
            Err(e) => {
                done = true;
                let row = rdr.get_mut().next_row();
                let text = match e.kind() {
                    csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::FileTooLarge => {
                        limits_msg.clone()
                    }
                    csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                        io.to_string()
                    }
                    _ => e.to_string(),
                };
                Some(TableRow::Bad(CellError::new(
                    row,
                    "",
                    "",
                    "csv",
                    msg(&lang, "row-unreadable", &[("error", &text)]),
                )))
            }
        }
    });
    Ok(Table {
        name: name.to_string(),
        header,
        rows: Box::new(rows),
        problems: Vec::new(),
        meta: None,
        encoding: Some(probe),
    })
}

/// The first line of a text, up to and with its end (`\n`, `\r` or `\r\n`), at most `max` bytes.
fn first_line(r: &mut impl BufRead, max: usize) -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(line);
        }
        let room = max.saturating_sub(line.len());
        let window = &buf[..buf.len().min(room)];
        match window.iter().position(|&b| b == b'\n' || b == b'\r') {
            Some(i) => {
                // A `\r` may be followed by its `\n` in this buffer; a split pair only makes
                // the next line start with `\n`, which the CSV reader skips.
                let end = if window[i] == b'\r' && window.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                };
                line.extend_from_slice(&window[..end]);
                r.consume(end);
                return Ok(line);
            }
            None => {
                let n = window.len();
                line.extend_from_slice(window);
                r.consume(n);
                if line.len() >= max {
                    return Ok(line);
                }
            }
        }
    }
}

/// Bytes of lookahead that decide a file's encoding.
const SAMPLE: usize = 64 * 1024;

enum Mode {
    /// Only ASCII so far: the same bytes in UTF-8 and in every legacy encoding read here.
    Ascii,
    Utf8,
    Legacy {
        decoder: encoding_rs::Decoder,
        name: &'static str,
        windows_1252: bool,
        finished: bool,
    },
}

/// Turns a CSV's bytes into UTF-8 text as they are read. Bytes pass through while they are
/// ASCII; at the first one that is not, the 64 KB that follow decide. Valid UTF-8 (or valid
/// UTF-8 before a stray byte, which the row check then reports as a line that is not UTF-8)
/// passes through unchanged. Anything else is decoded from there on with the legacy encoding
/// `chardetng` guesses — Windows-1252 for French or Portuguese text from Excel — and the choice
/// is written to the [`EncodingProbe`] so that the report says which encoding was assumed. A
/// byte the guessed encoding cannot read stops the file with a clear error, never a silent
/// replacement character.
struct Transcoder<R> {
    inner: R,
    mode: Mode,
    raw: Vec<u8>,
    raw_pos: usize,
    /// In `Ascii` mode: `raw[raw_pos..ascii_end]` is known to be ASCII.
    ascii_end: usize,
    out: Vec<u8>,
    out_pos: usize,
    eof: bool,
    probe: EncodingProbe,
    latin1: bool,
    lang: String,
}

impl<R: Read> Transcoder<R> {
    fn new(inner: R, probe: EncodingProbe, lang: &str) -> Transcoder<R> {
        Transcoder {
            inner,
            mode: Mode::Ascii,
            raw: Vec::new(),
            raw_pos: 0,
            ascii_end: 0,
            out: Vec::new(),
            out_pos: 0,
            eof: false,
            probe,
            latin1: true,
            lang: lang.to_string(),
        }
    }

    /// Moves what is left of `raw` to its start and reads until it holds `want` bytes or the
    /// input ends.
    fn fill_to(&mut self, want: usize) -> std::io::Result<()> {
        if self.raw_pos > 0 {
            self.raw.drain(..self.raw_pos);
            self.ascii_end = self.ascii_end.saturating_sub(self.raw_pos);
            self.raw_pos = 0;
        }
        while self.raw.len() < want && !self.eof {
            let old = self.raw.len();
            self.raw.resize(want, 0);
            match self.inner.read(&mut self.raw[old..]) {
                Ok(0) => {
                    self.raw.truncate(old);
                    self.eof = true;
                }
                Ok(n) => {
                    self.raw.truncate(old + n);
                    if matches!(self.mode, Mode::Legacy { .. }) {
                        // Decoding needs no lookahead: one read is enough.
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => self.raw.truncate(old),
                Err(e) => {
                    self.raw.truncate(old);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// `raw[raw_pos]` is the first byte that is not ASCII: choose the encoding.
    fn decide(&mut self) -> std::io::Result<()> {
        self.fill_to(SAMPLE)?;
        let sample = &self.raw[self.raw_pos..];
        let utf8 = match std::str::from_utf8(sample) {
            Ok(_) => true,
            Err(e) => e.valid_up_to() > 0 || (e.error_len().is_none() && !self.eof),
        };
        if utf8 {
            self.mode = Mode::Utf8;
            return Ok(());
        }
        let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
        detector.feed(sample, self.eof);
        let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
        // The CSV's delimiters, quotes and line ends must stay single ASCII bytes.
        let encoding = if guess.is_ascii_compatible() && guess != encoding_rs::UTF_8 {
            guess
        } else {
            encoding_rs::WINDOWS_1252
        };
        self.probe.set(TextEncoding::Legacy {
            name: encoding.name(),
            latin1: encoding == encoding_rs::WINDOWS_1252,
        });
        self.mode = Mode::Legacy {
            decoder: encoding.new_decoder_without_bom_handling(),
            name: encoding.name(),
            windows_1252: encoding == encoding_rs::WINDOWS_1252,
            finished: false,
        };
        Ok(())
    }
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            if self.out_pos < self.out.len() {
                let n = (self.out.len() - self.out_pos).min(buf.len());
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            match &mut self.mode {
                Mode::Utf8 => {
                    if self.raw_pos < self.raw.len() {
                        let n = (self.raw.len() - self.raw_pos).min(buf.len());
                        buf[..n].copy_from_slice(&self.raw[self.raw_pos..self.raw_pos + n]);
                        self.raw_pos += n;
                        return Ok(n);
                    }
                    return self.inner.read(buf);
                }
                Mode::Ascii => {
                    if self.raw_pos == self.raw.len() {
                        if self.eof {
                            return Ok(0);
                        }
                        self.fill_to(SAMPLE)?;
                        self.ascii_end = encoding_rs::Encoding::ascii_valid_up_to(&self.raw);
                        continue;
                    }
                    if self.raw_pos == self.ascii_end {
                        self.decide()?;
                        continue;
                    }
                    let n = (self.ascii_end - self.raw_pos).min(buf.len());
                    buf[..n].copy_from_slice(&self.raw[self.raw_pos..self.raw_pos + n]);
                    self.raw_pos += n;
                    return Ok(n);
                }
                Mode::Legacy {
                    decoder,
                    name,
                    windows_1252,
                    finished,
                } => {
                    if *finished {
                        return Ok(0);
                    }
                    let (name, windows_1252) = (*name, *windows_1252);
                    if self.raw_pos == self.raw.len() && !self.eof {
                        // Borrow of the decoder ends here; refill and come back.
                        self.raw.clear();
                        self.raw_pos = 0;
                        self.fill_to(SAMPLE)?;
                        continue;
                    }
                    let src = &self.raw[self.raw_pos..];
                    if windows_1252 && self.latin1 && src.iter().any(|b| (0x80..=0x9F).contains(b))
                    {
                        self.latin1 = false;
                        self.probe.not_latin1();
                    }
                    let room = decoder
                        .max_utf8_buffer_length(src.len())
                        .unwrap_or(src.len().saturating_mul(3) + 16);
                    self.out.clear();
                    self.out.resize(room, 0);
                    self.out_pos = 0;
                    let last = self.eof;
                    let (_, read, written, errors) =
                        decoder.decode_to_utf8(src, &mut self.out, last);
                    self.out.truncate(written);
                    self.raw_pos += read;
                    if errors {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            msg(&self.lang, "row-not-encoding", &[("encoding", name)]),
                        ));
                    }
                    if last && self.raw_pos == self.raw.len() {
                        *finished = true;
                    }
                }
            }
        }
    }
}

/// Where a byte is in the CSV's quoting, as the `csv` parser sees it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Quoting {
    StartField,
    InField,
    InQuotes,
    /// A quote inside quotes: the end of the quoted part, or the first of a doubled quote.
    QuoteInQuotes,
}

/// Counts rows as a spreadsheet shows them while the CSV parser reads: every line end outside
/// quotes (`\n`, `\r` or `\r\n`) ends a row, so blank lines are rows and a cell holding line
/// breaks stays within its row. The parser's own line count is not used: it counts only `\n`,
/// so files with `\r\n` or `\r` line ends would be numbered wrong.
struct RowCounter<R> {
    inner: R,
    delimiter: u8,
    quoting: Quoting,
    prev_cr: bool,
    /// Bytes scanned so far.
    offset: u64,
    /// Offsets of line ends scanned but not yet passed by the parser.
    ends: std::collections::VecDeque<u64>,
    /// Line ends the parser has passed.
    rows: usize,
    last_end: Option<u64>,
}

impl<R> RowCounter<R> {
    fn new(inner: R, delimiter: u8) -> RowCounter<R> {
        RowCounter {
            inner,
            delimiter,
            quoting: Quoting::StartField,
            prev_cr: false,
            offset: 0,
            ends: std::collections::VecDeque::new(),
            rows: 0,
            last_end: None,
        }
    }

    /// The row of the record the parser just read, which ended at byte `end` (just after its
    /// first line-end byte, or at the end of the file).
    fn row_ending_at(&mut self, end: u64) -> usize {
        while let Some(&at) = self.ends.front() {
            if at >= end {
                break;
            }
            self.ends.pop_front();
            self.rows += 1;
            self.last_end = Some(at);
        }
        if end > 0 && self.last_end == Some(end - 1) {
            self.rows
        } else {
            // The last record, with no line end after it.
            self.rows + 1
        }
    }

    /// The row after the last one read (where a reading error is reported).
    fn next_row(&self) -> usize {
        self.rows + 1
    }

    fn scan(&mut self, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let after_cr = std::mem::take(&mut self.prev_cr);
            self.quoting = match self.quoting {
                Quoting::InQuotes if b == b'"' => Quoting::QuoteInQuotes,
                Quoting::InQuotes => Quoting::InQuotes,
                Quoting::QuoteInQuotes if b == b'"' => Quoting::InQuotes,
                Quoting::StartField if b == b'"' => Quoting::InQuotes,
                _ if b == self.delimiter => Quoting::StartField,
                _ if b == b'\r' => {
                    self.ends.push_back(self.offset + i as u64);
                    self.prev_cr = true;
                    Quoting::StartField
                }
                _ if b == b'\n' => {
                    if !after_cr {
                        self.ends.push_back(self.offset + i as u64);
                    }
                    Quoting::StartField
                }
                _ => Quoting::InField,
            };
        }
        self.offset += bytes.len() as u64;
    }
}

impl<R: Read> Read for RowCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.scan(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn delimiter_is_sniffed_outside_quotes() {
        assert_eq!(super::sniff_delimiter("a,b,c"), b',');
        assert_eq!(super::sniff_delimiter("a;b;\"c,d,e\""), b';');
        assert_eq!(super::sniff_delimiter("a\tb"), b'\t');
        assert_eq!(super::sniff_delimiter("single"), b',');
    }
}
