//! MLOG: parser, reference interpreter with the game's semantics, and a cranelift JIT with fuel metering.
