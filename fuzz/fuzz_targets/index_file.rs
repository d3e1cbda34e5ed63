#![no_main]
// The harness and what it checks: latch_core::fuzzing::index_file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| latch_core::fuzzing::index_file(data));
