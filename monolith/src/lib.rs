//! `multidustry monolith`: proxy, gameserver and control plane in one process over the in-process
//! transport. Built by the playable-monolith issue.
