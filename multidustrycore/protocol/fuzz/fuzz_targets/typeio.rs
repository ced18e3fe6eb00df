//! TypeIO readers: tagged objects (incl. nested arrays and the safe-mode limits), plans, controllers, status
//! entries, strings. Property: no panic, no unbounded allocation; decode∘encode is stable on the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multidustry_protocol::{Reader, Writer};

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else { return };
    let mut r = Reader::new(rest);
    match which % 8 {
        0 => {
            if let Ok(o) = r.object() {
                let mut w = Writer::new();
                w.object(&o).expect("object re-encodes");
                let back = Reader::new(w.as_slice()).object().expect("re-encoded object decodes");
                let mut w2 = Writer::new();
                w2.object(&back).expect("object re-encodes");
                assert_eq!(w2.as_slice(), w.as_slice(), "encode∘decode is stable (floats may be NaN)");
            }
        }
        1 => {
            if let Ok(p) = r.plans_queue(which & 0x80 != 0) {
                let mut w = Writer::new();
                w.plans_queue(p.as_deref()).expect("plans re-encode");
                let back = Reader::new(w.as_slice()).plans_queue(false).expect("plans decode");
                let mut w2 = Writer::new();
                w2.plans_queue(back.as_deref()).expect("plans re-encode");
                assert_eq!(w2.as_slice(), w.as_slice());
            }
        }
        2 => {
            if let Ok(c) = r.controller() {
                let mut w = Writer::new();
                w.controller(&c).expect("controller re-encodes");
                let back = Reader::new(w.as_slice()).controller().expect("controller decodes");
                let mut w2 = Writer::new();
                w2.controller(&back).expect("controller re-encodes");
                assert_eq!(w2.as_slice(), w.as_slice());
            }
        }
        3 => {
            if let Ok(s) = r.statuses() {
                let mut w = Writer::new();
                w.statuses(&s).expect("statuses re-encode");
                let back = Reader::new(w.as_slice()).statuses().expect("statuses decode");
                assert_eq!(back.len(), s.len());
            }
        }
        4 => {
            let _ = r.str();
            let _ = r.jutf();
            let _ = r.discovery_str();
            let _ = r.buffer_str();
        }
        5 => {
            let _ = r.trace_info();
            let _ = r.str_array2d();
        }
        6 => {
            let _ = r.int_seq();
            let _ = r.int_array();
            let _ = r.short_array();
            let _ = r.byte_array();
        }
        _ => {
            let _ = r.mounts();
            let _ = r.abilities();
            let _ = r.unit_ref();
            let _ = r.item_stack();
        }
    }
});
