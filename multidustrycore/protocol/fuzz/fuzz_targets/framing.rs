//! TCP stream splitting, body decoding (framework messages, packet header, LZ4) and UDP datagrams.
//! Property: no panic; a decoded body re-encodes to something that decodes to the same body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multidustry_protocol::framing::{Compression, FrameDecoder, decode_body, decode_datagram};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the feed size, to exercise partial frames.
    let Some((&step, rest)) = data.split_first() else { return };
    let step = usize::from(step % 32) + 1;
    let mut d = FrameDecoder::new();
    'feed: for piece in rest.chunks(step) {
        d.extend(piece);
        loop {
            match d.next_body() {
                Ok(Some(body)) => {
                    let again = body.encode(Compression::Java).expect("a decoded body re-encodes");
                    assert_eq!(decode_body(&again).expect("re-encoded body decodes"), body);
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    let _ = decode_datagram(rest);
});
