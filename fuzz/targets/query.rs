#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hma::fuzz::run("query", data));
