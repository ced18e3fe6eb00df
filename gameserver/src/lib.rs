//! The gameserver: hosts worlds on sync world threads that tick at a fixed rate and never await; talks to
//! the networking side over bounded channels. Built by the playable-monolith issue.
