#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backlint_fuzz::config(data));
