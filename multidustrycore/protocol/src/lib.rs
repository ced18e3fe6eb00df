//! The Mindustry client protocol, as the Java game speaks it (builds 159 and 154).
//!
//! Owns: byte-level primitives ([`io`]). The codec layers (TypeIO, Arc framing, packets, discovery) are
//! added beside it. Does not own: sockets, sessions or game logic; it is sans-IO and fuzzable on its own.
//!
//! Spec: `shared/docs/mindustry-protocol.md` with `shared/data/protocol/ERRATA.md`; ground truth: the Java
//! source (`core/src/mindustry/io/TypeIO.java`, `arc/net`).

pub mod io;
