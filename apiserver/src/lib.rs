//! The apiserver: the control plane, an OpenRaft group that places worlds on gameservers and moves them.
//! Not built yet: the `apiserver` subcommand says so.
