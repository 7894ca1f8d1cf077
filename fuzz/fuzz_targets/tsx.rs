#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| backlint_fuzz::lint(backlint_fuzz::SOURCES[2], data));
