//! `multidustry map`: inspect and render `.msav` maps and saves (any save version 2..13).
//!
//! `map info FILE [--json]` prints name, author, description, size, save version, rules (as stored, and the
//! typed rules a server hosting the map in survival plays: waves, spacing, spawn groups, teams, limits), tags,
//! block and building counts; `map render FILE -o OUT.png [--scale N]` writes a top-down picture.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use multidustry_world::{Build, Gamemode, World};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Print a map's name, size, save version, rules, tags and counts.
    Info {
        /// The `.msav` file.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write a top-down PNG picture of a map.
    Render {
        /// The `.msav` file.
        file: PathBuf,
        /// Output PNG file.
        #[arg(short, long)]
        output: PathBuf,
        /// Pixels per tile (1..=16).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
        scale: u32,
    },
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.cmd {
        Cmd::Info { file, json } => {
            let world = World::load(&file)?;
            let info = world.info();
            // What a server hosting the map in survival plays (the map's rules over the mode preset, default
            // waves when the map has none); build 159's content decides which unit names exist.
            let hosted = world.host_rules(Gamemode::Survival, Build::V159);
            if json {
                let mut v = serde_json::to_value(&info).context("serializing map info")?;
                v["meta"] = serde_json::Value::Object(
                    world.meta.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect(),
                );
                v["hosted_rules"] = serde_json::to_value(&hosted).context("serializing rules")?;
                println!("{}", serde_json::to_string_pretty(&v).context("serializing map info")?);
            } else {
                println!("name:        {}", info.name);
                println!("author:      {}", info.author);
                println!("description: {}", info.description);
                println!("size:        {}x{}", info.width, info.height);
                println!("version:     {}", info.version);
                println!("blocks:      {}", info.block_count);
                println!("buildings:   {}", info.building_count);
                for (team, n) in &info.buildings_by_team {
                    println!("  team {team}:    {n}");
                }
                println!("entities:    {}", info.entity_count);
                println!("tags:        {}", info.tags.join(", "));
                println!("rules:       {}", info.rules);
                let own_waves = world.saved_rules(Build::V159).spawns.len();
                println!(
                    "waves:       {} ({}), every {:.0} s, first after {:.0} s, {} spawn groups ({})",
                    if hosted.waves { "on" } else { "off" },
                    if hosted.wave_timer { "timer" } else { "on demand" },
                    hosted.wave_spacing / 60.0,
                    hosted.first_wave_countdown() / 60.0,
                    hosted.spawns.len(),
                    if own_waves > 0 { "the map's" } else { "default" },
                );
                let flags: Vec<&str> = [
                    (hosted.infinite_resources, "sandbox"),
                    (hosted.attack_mode, "attack"),
                    (hosted.pvp, "pvp"),
                    (hosted.core_capture, "core capture"),
                    (hosted.fog, "fog"),
                    (hosted.limit_map_area, "limited area"),
                ]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
                println!("mode flags:  {}", if flags.is_empty() { "-".to_owned() } else { flags.join(", ") });
                println!("teams:       {}", hosted.teams.keys().map(u8::to_string).collect::<Vec<_>>().join(", "));
                println!("unit cap:    {}{}", hosted.unit_cap, if hosted.unit_cap_variable { " + cores" } else { "" });
            }
        }
        Cmd::Render { file, output, scale } => {
            let world = World::load(&file)?;
            let png = multidustry_world::render::render_png(&world, scale)?;
            std::fs::write(&output, png).with_context(|| format!("writing {}", output.display()))?;
            eprintln!(
                "wrote {} ({}x{} px)",
                output.display(),
                u32::from(world.tiles.width) * scale,
                u32::from(world.tiles.height) * scale
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
