//! Mindustry worlds: msav maps and saves, content tables per build, the world stream, the generated
//! default world.
