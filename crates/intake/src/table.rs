//! Provider files as tables of text cells, whatever their format: CSV (any delimiter, UTF-8 with or
//! without BOM, UTF-16 with BOM), XLSX, and ODK/Kobo exports of either. Reading never trusts the
//! file: sizes are capped, encodings checked line by line, and archives inspected before opening.

use std::io::{BufRead, BufReader, Read};

use crate::IntakeError;
use crate::messages::msg;
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

/// One data row: its 1-based line in the file and its cells (one buffer for the whole row, not a
/// string per cell), or a problem reading it.
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

/// A reader that fails once a line (bytes between two `\n`) grows past `max` bytes.
struct LineCapped<R> {
    inner: R,
    run: u64,
    max: u64,
}

impl<R: Read> Read for LineCapped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let chunk = &buf[..n];
        self.run = match chunk.iter().rposition(|&b| b == b'\n') {
            Some(last) => {
                let first = chunk.iter().position(|&b| b == b'\n').unwrap_or(last);
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
    // UTF-16 (Excel's "Unicode text"): decode whole, it is small by construction of the limit.
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
        return csv_table(
            Box::new(std::io::Cursor::new(text.into_bytes())),
            name,
            limits,
            lang,
        );
    }
    if start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    // The whole first line, however the reads were split, decides the delimiter; it is then put
    // back in front of the rest.
    let mut first = Vec::new();
    (&mut reader)
        .take(1 << 20)
        .read_until(b'\n', &mut first)
        .map_err(|e| unreadable(e.to_string()))?;
    let delimiter = sniff_delimiter(&String::from_utf8_lossy(&first));
    let reader = std::io::Cursor::new(first).chain(reader);
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
                let line = rec.position().map(|p| p.line() as usize).unwrap_or(0);
                match csv::StringRecord::from_byte_record(rec.clone()) {
                    Ok(cells) => Some(TableRow::Cells(line, cells)),
                    Err(_) => Some(TableRow::Bad(CellError::new(
                        line,
                        "",
                        "",
                        "encoding",
                        msg(&lang, "row-not-utf8", &[]),
                    ))),
                }
            }
            Err(e) => {
                done = true;
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
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
                    line,
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
    })
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
