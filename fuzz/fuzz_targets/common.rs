use std::sync::OnceLock;

use tessera_dictionary::Dictionary;
use tessera_intake::{ImportOptions, Limits, validate_stream};
use tessera_pseudonym::{KeyedEncoder, Secret};

fn dict() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(|| Dictionary::base().expect("the embedded dictionary loads"))
}

fn encoder() -> &'static KeyedEncoder {
    static E: OnceLock<KeyedEncoder> = OnceLock::new();
    E.get_or_init(|| KeyedEncoder::new(&Secret::from_bytes(&[7; 32]).expect("32 bytes")))
}

/// Reads and validates arbitrary bytes as a victim file: any outcome but a panic is fine.
pub fn run(data: &[u8], odk: bool) {
    let limits = Limits { max_bytes: 1 << 20, max_unzipped_bytes: 8 << 20 };
    let opts = ImportOptions { odk, ..ImportOptions::default() };
    let input = Box::new(std::io::Cursor::new(data.to_vec()));
    let _ = validate_stream(dict(), "victim", encoder(), input, "fuzz", limits, "fr", &opts, &mut |_| true);
}
