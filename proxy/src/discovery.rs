//! UDP server-discovery responder (what the game's server list queries). Filled in by the codec work.
