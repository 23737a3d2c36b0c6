#![no_main]
//! Arbitrary bytes through the CSV path (any delimiter, encoding sniffing, ODK header mapping).
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // Most CSV-shaped inputs start with a header: give the fuzzer a head start half the time.
    let odk = data.first().is_some_and(|b| b & 1 == 1);
    common::run(data, odk);
    let mut with_header = b"provider_ref,identification_status,date_identified,sex,exploitation,age,citizenship,given_name,birth_date\n".to_vec();
    with_header.extend_from_slice(data);
    common::run(&with_header, odk);
});
