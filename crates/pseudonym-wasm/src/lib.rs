//! The keyed encoder of `tessera-pseudonym`, exported to JavaScript through a plain C ABI so a
//! focal point's browser turns identifying columns into pseudonym tokens before a file leaves the
//! office: the upload then carries no name, birth date or ID number, as with
//! `tessera pseudonymise` on the command line.
//!
//! Built for `wasm32-unknown-unknown` by `scripts/build-wasm`; the result is committed as
//! `crates/web/assets/pseudonym.wasm` and served by the web crate, so building Tessera never needs
//! the WebAssembly target. The browser test in `crates/web/tests/browser.rs` encodes rows in
//! Chromium and requires the very tokens the server's encoder gives: a stale build fails it.
//!
//! The interface (all lengths in bytes, strings UTF-8):
//! * `tsp_alloc(len) -> ptr` and `tsp_free(ptr, len)`: memory the caller writes inputs into;
//! * `tsp_init(ptr, len) -> status`: the deployment secret as hexadecimal text (0: ready,
//!   1: not hexadecimal or shorter than 32 bytes);
//! * `tsp_encode(ptr, len) -> status`: the identifying fields of one row separated by U+001F, in
//!   the order of [`FIELDS`]; empty fields are absent. Status 0: the token is ready (empty when the
//!   row has no identifier), 1: no secret yet, 2: the birth date is not a date, 3: not UTF-8 or not
//!   seven fields;
//! * `tsp_fingerprint()`: puts the encoder's fingerprint (see `tessera_pseudonym::fingerprint`)
//!   where the next two read it, so the page can check it matches the server's;
//! * `tsp_output_ptr()` and `tsp_output_len()`: the token of the last successful call.

use std::cell::RefCell;

use tessera_pseudonym::{BirthDate, Encoder, Identifiers, KeyedEncoder, Secret};

/// The identifying fields, in the order `tsp_encode` takes them (the dictionary's
/// `identifying` kinds, snake case).
pub const FIELDS: [&str; 7] = [
    "given_name",
    "family_name",
    "birth_date",
    "id_number",
    "phone",
    "father_name",
    "mother_name",
];

/// Why a row could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Status {
    Ready = 0,
    NoSecret = 1,
    BadBirthDate = 2,
    BadInput = 3,
}

thread_local! {
    static ENCODER: RefCell<Option<KeyedEncoder>> = const { RefCell::new(None) };
    static OUTPUT: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Installs the deployment secret (hexadecimal text); false when it is not a valid secret.
pub fn init(secret_hex: &str) -> bool {
    match Secret::from_hex(secret_hex) {
        Ok(secret) => {
            ENCODER.with(|e| *e.borrow_mut() = Some(KeyedEncoder::new(&secret)));
            true
        }
        Err(_) => false,
    }
}

/// Encodes one row's identifying fields (separated by U+001F, in the order of [`FIELDS`]) into a
/// pseudonym token, or says why not. An empty token means the row has no identifier.
pub fn encode_row(fields: &str) -> Result<String, Status> {
    let parts: Vec<&str> = fields.split('\u{1f}').collect();
    if parts.len() != FIELDS.len() {
        return Err(Status::BadInput);
    }
    let get = |i: usize| Some(parts[i].trim()).filter(|s| !s.is_empty());
    if get(2).is_some_and(|d| BirthDate::parse(d).is_none()) {
        return Err(Status::BadBirthDate);
    }
    let ids = Identifiers {
        given_name: get(0),
        family_name: get(1),
        birth_date: get(2),
        id_number: get(3),
        phone: get(4),
        father_name: get(5),
        mother_name: get(6),
        ..Default::default()
    };
    ENCODER.with(|e| match e.borrow().as_ref() {
        None => Err(Status::NoSecret),
        Some(_) if ids.is_empty() => Ok(String::new()),
        Some(enc) => Ok(enc.encode(&ids).to_token()),
    })
}

/// Memory for an input of `len` bytes, owned by the caller until [`tsp_free`].
#[unsafe(no_mangle)]
pub extern "C" fn tsp_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len.max(1));
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Frees what [`tsp_alloc`] gave.
///
/// # Safety
/// `ptr` and `len` must be exactly what one call of `tsp_alloc` took and returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tsp_free(ptr: *mut u8, len: usize) {
    // SAFETY: the caller passes back an allocation of tsp_alloc with its length.
    drop(unsafe { Vec::from_raw_parts(ptr, 0, len.max(1)) });
}

/// Reads `len` bytes at `ptr` as UTF-8.
///
/// # Safety
/// `ptr..ptr + len` must be memory the caller wrote (from `tsp_alloc`).
unsafe fn text<'a>(ptr: *const u8, len: usize) -> Option<&'a str> {
    if len == 0 {
        return Some("");
    }
    // SAFETY: guaranteed by the caller.
    std::str::from_utf8(unsafe { std::slice::from_raw_parts(ptr, len) }).ok()
}

/// Installs the deployment secret given as hexadecimal text.
///
/// # Safety
/// `ptr..ptr + len` must be memory from `tsp_alloc` holding the text.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tsp_init(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from the caller.
    match unsafe { text(ptr, len) } {
        Some(t) if init(t) => Status::Ready as u32,
        _ => Status::NoSecret as u32,
    }
}

/// Encodes one row; see the crate's documentation for the input and the status.
///
/// # Safety
/// `ptr..ptr + len` must be memory from `tsp_alloc` holding the row's fields.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tsp_encode(ptr: *const u8, len: usize) -> u32 {
    // SAFETY: forwarded from the caller.
    let Some(fields) = (unsafe { text(ptr, len) }) else {
        return Status::BadInput as u32;
    };
    match encode_row(fields) {
        Ok(token) => {
            OUTPUT.with(|o| *o.borrow_mut() = token);
            Status::Ready as u32
        }
        Err(s) => s as u32,
    }
}

/// Makes the encoder's fingerprint the output (read with `tsp_output_ptr`/`tsp_output_len`).
#[unsafe(no_mangle)]
pub extern "C" fn tsp_fingerprint() -> u32 {
    OUTPUT.with(|o| *o.borrow_mut() = tessera_pseudonym::fingerprint().to_string());
    Status::Ready as u32
}

/// Where the last token is (valid until the next call of `tsp_encode`).
#[unsafe(no_mangle)]
pub extern "C" fn tsp_output_ptr() -> *const u8 {
    OUTPUT.with(|o| o.borrow().as_ptr())
}

/// Length in bytes of the last token.
#[unsafe(no_mangle)]
pub extern "C" fn tsp_output_len() -> usize {
    OUTPUT.with(|o| o.borrow().len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_pseudonym::Pseudonyms;

    const SECRET: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn rows_encode_as_the_server_encodes_them() {
        assert!(init(SECRET));
        let server = KeyedEncoder::new(&Secret::from_hex(SECRET).unwrap());
        let token =
            encode_row("Aïcha\u{1f}NDIAYE\u{1f}1999-12-31\u{1f}CF 0012\u{1f}\u{1f}\u{1f}").unwrap();
        let expected = server.encode(&Identifiers {
            given_name: Some("Aïcha"),
            family_name: Some("NDIAYE"),
            birth_date: Some("1999-12-31"),
            id_number: Some("CF 0012"),
            ..Default::default()
        });
        assert_eq!(Pseudonyms::from_token(&token).unwrap(), expected);
        assert_eq!(token, expected.to_token());
        assert!(!token.contains("cha") && !token.contains("1999"));
    }

    #[test]
    fn bad_rows_say_why_and_empty_rows_give_no_token() {
        assert!(!init("not hex"));
        assert!(init(SECRET));
        assert_eq!(
            encode_row("A\u{1f}B\u{1f}31/31/1999\u{1f}\u{1f}\u{1f}\u{1f}"),
            Err(Status::BadBirthDate)
        );
        assert_eq!(encode_row("A\u{1f}B"), Err(Status::BadInput));
        assert_eq!(
            encode_row("\u{1f}\u{1f} \u{1f}\u{1f}\u{1f}\u{1f}").unwrap(),
            ""
        );
    }

    #[test]
    fn the_c_interface_round_trips_a_row() {
        let put = |s: &str| {
            let p = tsp_alloc(s.len());
            // SAFETY: p has room for s.len() bytes.
            unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), p, s.len()) };
            p
        };
        let secret = put(SECRET);
        // SAFETY: pointers and lengths from tsp_alloc above.
        unsafe {
            assert_eq!(tsp_init(secret, SECRET.len()), 0);
            tsp_free(secret, SECRET.len());
        }
        let row = "Awa\u{1f}Ndiaye\u{1f}2001\u{1f}\u{1f}\u{1f}\u{1f}";
        let p = put(row);
        // SAFETY: as above.
        let status = unsafe { tsp_encode(p, row.len()) };
        unsafe { tsp_free(p, row.len()) };
        assert_eq!(status, 0);
        // SAFETY: the output buffer is valid until the next encode.
        let out = unsafe { std::slice::from_raw_parts(tsp_output_ptr(), tsp_output_len()) };
        assert_eq!(std::str::from_utf8(out).unwrap(), encode_row(row).unwrap());
        assert_eq!(tsp_fingerprint(), 0);
        // SAFETY: as above.
        let out = unsafe { std::slice::from_raw_parts(tsp_output_ptr(), tsp_output_len()) };
        assert_eq!(out, tessera_pseudonym::fingerprint().as_bytes());
        assert_eq!(out.len(), 16);
    }
}
