//! The bot client library against the proxy and the fake world host: bots of both builds join, read the
//! world header, confirm, spawn, see each other's chat; kicks and missed expectations count as failures.

mod support;

use std::time::Duration;

use multidustry_protocol::Build;
use multidustry_proxy::bots::{BotOptions, run_swarm};
use multidustrycore::messages::{ClientMsg, ToWorld};
use support::{Harness, config, player_id};

fn opts(h: &Harness, build: Build) -> BotOptions {
    let mut o = BotOptions::new(h.addr);
    o.build = build;
    o.duration = Duration::from_secs(3);
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bots_of_both_builds_join_say_and_hear_each_other() {
    let h = Harness::start(config(&[159, 154])).await;
    for build in [Build::V159, Build::V154] {
        let mut o = opts(&h, build);
        o.name_prefix = format!("b{}-", build.number());
        o.say = Some(format!("hello from {}", build.number()));
        o.expect = Some(format!("hello from {}", build.number()));
        o.chat = true;
        let r = run_swarm(&o, 4).await;
        assert_eq!((r.joined, r.failed, r.kicked), (4, 0, 0), "{}", r.summary());
        assert_eq!(r.expect_seen, 4);
        assert!(r.join_ms_p50 > 0.0 && r.join_ms_p99 >= r.join_ms_p50);
        assert!(r.packets_per_sec > 0.0);
        for b in &r.bots {
            assert!(b.spawned, "bot {} saw its playerSpawn", b.name);
            assert!(b.world_bytes > 1000);
            assert_eq!(b.world_size, Some((60, 60)), "the whole world stream parsed");
            let pid = b.player_id.expect("player id from the world stream header");
            assert!(pid > 100, "{pid}");
            // Each bot hears its own `say` line and those of every bot that joined after it.
            let heard = b.messages.iter().filter(|m| m.contains(&format!("hello from {}", build.number()))).count();
            assert!(heard >= 4 - b.index, "bot {} heard {heard} say lines: {:?}", b.name, b.messages);
        }
    }
    // The world saw client snapshots (passed through as raw packets) from the bots.
    let snapshots = h
        .world
        .events()
        .iter()
        .filter(|m| matches!(m, ToWorld::Client { msg: ClientMsg::Packet { id, .. }, .. } if *id == 28 || *id == 24))
        .count();
    assert!(snapshots > 8, "only {snapshots} client snapshots reached the world");
    assert_eq!(player_id(1), 101);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kicked_bots_and_missed_expectations_fail() {
    let h = Harness::start(config(&[154])).await;
    let r = run_swarm(&opts(&h, Build::V159), 2).await;
    assert_eq!((r.joined, r.failed, r.kicked), (0, 2, 2), "{}", r.summary());
    assert_eq!(r.kick_reasons, vec![("serverOutdated".to_string(), 2)]);

    let mut o = opts(&h, Build::V154);
    o.duration = Duration::from_secs(2);
    o.expect = Some("a line nobody sends".into());
    let r = run_swarm(&o, 1).await;
    assert_eq!((r.joined, r.failed, r.kicked, r.expect_seen), (1, 1, 0, 0), "{}", r.summary());
    let json = serde_json::to_value(&r).expect("serializable");
    for k in ["joined", "failed", "kicked", "join_ms_p50", "join_ms_p99", "packets_per_sec"] {
        assert!(json.get(k).is_some(), "report lacks {k}");
    }
    h.stop().await;
}
