#![no_main]
// The harness and what it checks: latch_core::fuzzing::green_api_answer.
libfuzzer_sys::fuzz_target!(|data: &[u8]| latch_core::fuzzing::green_api_answer(data));
