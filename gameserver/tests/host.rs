//! The world thread over the in-process transport: a session joins and gets its world stream, spawn and
//! snapshots; console requests run on the thread; snapshots are saved periodically and on shutdown.

use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use multidustry_gameserver::console::AccessControl;
use multidustry_gameserver::host::{HostConfig, WorldHost, WorldIo};
use multidustry_gameserver::sim::PlayerState;
use multidustry_gameserver::{Sim, worldio};
use multidustrycore::messages::{ClientMsg, OutPacket, PlayerInfo, SessionId, ToProxy, WorldId};
use multidustrycore::transport::{InProcess, Transport};

#[derive(Clone, Default)]
struct Recorder {
    saves: Arc<Mutex<Vec<String>>>,
}

struct FakeIo(Recorder);

impl WorldIo for FakeIo {
    fn world_stream(&mut self, _sim: &Sim, player: &PlayerState) -> Result<Vec<u8>, String> {
        Ok(player.id.to_be_bytes().to_vec())
    }
    fn save(&mut self, _sim: &Sim, path: &Path) -> Result<(), String> {
        self.0.saves.lock().map_err(|e| e.to_string())?.push(path.display().to_string());
        Ok(())
    }
    fn map_name(&self) -> String {
        "Test".into()
    }
}

struct NoAccess;

impl AccessControl for NoAccess {
    fn ban(&mut self, _: &str, _: Option<&str>, _: &str) -> Result<(), String> {
        Ok(())
    }
    fn unban(&mut self, _: &str) -> Result<bool, String> {
        Ok(false)
    }
    fn bans(&self) -> Vec<String> {
        Vec::new()
    }
    fn set_admin(&mut self, _: &str, _: bool, _: &str) -> Result<(), String> {
        Ok(())
    }
}

fn player(build: u32) -> PlayerInfo {
    PlayerInfo {
        name: "tester".into(),
        uuid: "AAECAwQFBgcAAAAAiCHg5Q==".into(),
        usid: "CAkKCwwNDg8=".into(),
        build,
        color: 0xffd3_7fff,
        locale: "en".into(),
        ip: IpAddr::from([127, 0, 0, 1]),
        admin: false,
        mobile: false,
    }
}

#[test]
fn a_session_joins_through_the_transport_and_the_world_saves_periodically_and_on_shutdown() {
    let (sim, _) = worldio::generate(5, 60).into_parts(60);
    let transport = InProcess::default();
    let end = transport.attach_world(WorldId::DEFAULT).expect("attach");
    let rec = Recorder::default();
    let host = WorldHost::spawn(
        sim,
        end,
        Box::new(FakeIo(rec.clone())),
        Box::new(NoAccess),
        HostConfig {
            tick_rate: 60,
            snapshot_interval: Some(Duration::from_millis(150)),
            save_path: "/nonexistent/world.msav".into(),
        },
    )
    .expect("spawn");

    let mut session = transport.open_session(WorldId::DEFAULT, SessionId(1), player(154)).expect("open");
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut got_stream = None;
    let mut spawned = false;
    let mut entity_snapshot = false;
    let mut confirmed = false;
    while Instant::now() < deadline && !(spawned && entity_snapshot) {
        match session.try_recv() {
            Ok(Some(ToProxy::WorldStream { data, .. })) => {
                got_stream = Some(i32::from_be_bytes(data[..4].try_into().expect("4 bytes")));
                session.try_send(ClientMsg::ConnectConfirm).expect("confirm");
                confirmed = true;
            }
            Ok(Some(ToProxy::Packet { packet: OutPacket::Raw { build, id, .. }, .. })) => {
                assert_eq!(build, 154, "only packets for this session's build");
                spawned |= id == 68; // playerSpawn (154)
                entity_snapshot |= id == 43 && confirmed; // entitySnapshot (154)
            }
            Ok(Some(_)) => {}
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("session closed: {e}"),
        }
    }
    assert!(got_stream.is_some_and(|id| id > 0), "world stream with the player id");
    assert!(spawned && entity_snapshot, "spawned {spawned}, snapshots {entity_snapshot}");

    let status = host.console("players");
    assert_eq!(status[0], "Players: 1");
    assert!(host.stats().tps > 0.0 || host.stats().mean_tick_us >= 0.0);

    std::thread::sleep(Duration::from_millis(400));
    let periodic = rec.saves.lock().expect("lock").len();
    assert!(periodic >= 2, "periodic saves: {periodic}");
    drop(session);
    host.shutdown();
    // A periodic save may land between the count above and the shutdown request; the shutdown save comes last.
    assert!(rec.saves.lock().expect("lock").len() > periodic, "one more save on shutdown");
}
