#![no_main]
//! Arbitrary bytes through the XLSX path (zip inspection, calamine, formula and merge checks).
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(data);
    common::run(&bytes, false);
    common::run(data, false);
});
