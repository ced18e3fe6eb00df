//! Power node laser links: which blocks are power nodes (laser range, link limit), and the link changes a
//! client's configuration makes (`PowerNode` `config(Integer)` / `config(Point2[])` in the Java game).
//!
//! Owns: the rules of linking (range as circle/hitbox overlap in world units, same team, the block has a power
//! module, the node's and a linked node's `maxNodes`), and keeping both ends' `Building::power_links` in step.
//!
//! Does not own: storing the links in records (`records`: the power module), broadcasting configurations
//! (`sim`), power graphs — this server does not simulate power flow; links are state that persists and reaches
//! clients.
//!
//! Invariants: a link this module adds is held by both ends; every function tolerates missing buildings and
//! stale links (maps contain some) without panicking.

use crate::blocks;
use crate::grid::{self, Grid};
use crate::value::Value;
use multidustry_protocol::typeio::Object;

/// World units per tile (`Vars.tilesize`).
const TILE: f32 = 8.0;

/// A power node block's linking limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NodeRule {
    /// `PowerNode.laserRange`, in tiles.
    pub laser_range: f32,
    /// `PowerNode.maxNodes`.
    pub max_nodes: usize,
}

/// The node rule of `block`, when it is a power node (build 159 Serpulo nodes).
pub fn node_rule(block: u16) -> Option<NodeRule> {
    let (laser_range, max_nodes) = match blocks::rule_for(block)?.name {
        "power-node" => (6.0, 10),
        "power-node-large" => (15.0, 15),
        "surge-tower" => (40.0, 2),
        _ => return None,
    };
    Some(NodeRule { laser_range, max_nodes })
}

/// Whether `block` has a power module (`Block.hasPower`: the power bit of its record mask).
pub fn has_power(block: u16) -> bool {
    blocks::rule_for(block).is_some_and(|r| r.record.mask & 2 != 0)
}

/// The world-space centre of a building of `block` with origin `pos` (`Building.x/y`: tile centre plus
/// `Block.offset`, half a tile for even sizes).
fn centre(pos: i32, block: u16) -> (f32, f32) {
    let (x, y) = grid::unpack(pos);
    let size = crate::records::block_size(block);
    let offset = if size.is_multiple_of(2) { TILE / 2.0 } else { 0.0 };
    (x as f32 * TILE + offset, y as f32 * TILE + offset)
}

/// Whether a circle of `range` world units around `src`'s centre overlaps the hitbox of the building `other`
/// (`Intersector.overlaps(Circle, Rectangle)`: strictly closer than the radius).
fn overlaps(src: (i32, u16), other: (i32, u16), range: f32) -> bool {
    let (cx, cy) = centre(src.0, src.1);
    let (ox, oy) = centre(other.0, other.1);
    let half = f32::from(crate::records::block_size(other.1)) * TILE / 2.0;
    let nx = cx.clamp(ox - half, ox + half) - cx;
    let ny = cy.clamp(oy - half, oy + half) - cy;
    nx * nx + ny * ny < range * range
}

/// `PowerNode.linkValid(node, link, checkMaxNodes)`: `link` has power, is another building of the same team,
/// in the node's range (or the node in the range of `link` when that is a node), and — when `link` is a node
/// and `check_max` — has a free link slot or already links back.
pub fn link_valid(grid: &Grid, node: i32, link: i32, check_max: bool) -> bool {
    let (Some(n), Some(l)) = (grid.building(node), grid.building(link)) else { return false };
    let Some(rule) = node_rule(n.block) else { return false };
    if node == link || !has_power(l.block) || n.team != l.team || l.construction.is_some() {
        return false;
    }
    let other_rule = node_rule(l.block);
    let in_range = overlaps((node, n.block), (link, l.block), rule.laser_range * TILE)
        || other_rule.is_some_and(|o| overlaps((link, l.block), (node, n.block), o.laser_range * TILE));
    if !in_range {
        return false;
    }
    match other_rule {
        Some(o) if check_max => l.power_links.len() < o.max_nodes || l.power_links.contains(&node),
        _ => true,
    }
}

/// `config(Integer)` on the node at `node`: toggles the link to the building covering the tile `target`.
/// Unlinking removes the link from both ends; linking needs a valid link and a free slot on the node, and adds
/// it to both ends. Returns whether anything changed.
pub fn toggle_link(grid: &mut Grid, node: i32, target: i32) -> bool {
    let Some(n) = grid.building(node) else { return false };
    let Some(rule) = node_rule(n.block) else { return false };
    let (tx, ty) = grid::unpack(target);
    let other = grid.building_at(tx, ty).filter(|(_, b)| has_power(b.block)).map(|(p, _)| p);
    if n.power_links.contains(&target) {
        if let Some(b) = grid.building_mut(node) {
            b.power_links.retain(|&p| p != target);
        }
        if let Some(b) = other.and_then(|o| grid.building_mut(o)) {
            b.power_links.retain(|&p| p != node);
        }
        return true;
    }
    let Some(other) = other else { return false };
    if !link_valid(grid, node, other, true) || n.power_links.len() >= rule.max_nodes {
        return false;
    }
    for (a, b) in [(node, other), (other, node)] {
        if let Some(build) = grid.building_mut(a)
            && !build.power_links.contains(&b)
        {
            build.power_links.push(b);
        }
    }
    true
}

/// Applies a client's configuration of the power node at `node`: an `Integer` (or building) position toggles
/// one link; a `Point2[]` of positions relative to the node replaces the node's links (as Java, the node's list
/// is cleared first without touching the other ends, then each point is toggled). Other values change nothing.
/// Returns whether the value is one a power node accepts.
pub fn configure(grid: &mut Grid, node: i32, value: &Value) -> bool {
    match value {
        Value::Int(p) | Value::Building(p) => {
            toggle_link(grid, node, *p);
            true
        }
        Value::Other(Object::Point2Array(points)) => {
            if let Some(b) = grid.building_mut(node) {
                b.power_links.clear();
            }
            let (x, y) = grid::unpack(node);
            for &p in points {
                // Point2.unpack: x in the high 16 bits, y in the low 16, each signed.
                let (dx, dy) = (i32::from((p >> 16) as i16), i32::from(p as i16));
                toggle_link(grid, node, grid::pack(x + dx, y + dy));
            }
            true
        }
        _ => false,
    }
}

/// Drops every link to `pos` held by the buildings `links` names (a building was removed: `PowerGraph.remove`).
pub fn unlink_removed(grid: &mut Grid, pos: i32, links: &[i32]) {
    for &l in links {
        if let Some(b) = grid.building_mut(l) {
            b.power_links.retain(|&p| p != pos);
        }
    }
}

/// The tiles touching the sides of a `size` block with origin (x, y), corners excluded (`Edges.getEdges`).
fn edge_tiles(x: i32, y: i32, size: u8) -> Vec<(i32, i32)> {
    let s = i32::from(size.max(1));
    let (x0, y0) = (x - (s - 1) / 2, y - (s - 1) / 2);
    let mut out = Vec::with_capacity(4 * s as usize);
    for i in 0..s {
        out.extend([(x0 + i, y0 - 1), (x0 + i, y0 + s), (x0 - 1, y0 + i), (x0 + s, y0 + i)]);
    }
    out
}

/// The power buildings of `team` touching the building with origin `pos`.
fn adjacent_powered(grid: &Grid, pos: i32, block: u16, team: u8) -> Vec<i32> {
    let (x, y) = grid::unpack(pos);
    let mut out: Vec<i32> = edge_tiles(x, y, crate::records::block_size(block))
        .into_iter()
        .filter_map(|(ex, ey)| grid.building_at(ex, ey))
        .filter(|(_, b)| b.team == team && has_power(b.block) && b.construction.is_none())
        .map(|(p, _)| p)
        .collect();
    out.dedup();
    out
}

/// The power graph of `start`, approximated as the buildings reachable through laser links and touching power
/// buildings of the same team (Java's finer conduction rules between two consumers are not modelled).
fn graph_of(grid: &Grid, start: i32) -> std::collections::BTreeSet<i32> {
    let mut seen = std::collections::BTreeSet::from([start]);
    let mut stack = vec![start];
    while let Some(p) = stack.pop() {
        let Some(b) = grid.building(p) else { continue };
        let next = b.power_links.iter().copied().filter(|l| grid.building(*l).is_some());
        for n in next.chain(adjacent_powered(grid, p, b.block, b.team)) {
            if seen.insert(n) {
                stack.push(n);
            }
        }
    }
    seen
}

/// `PowerNodeBuild.placed()` on the server: links a node just built by a player to its potential links
/// (`PowerNode.getPotentialLinks`): power buildings of its team in laser range, not touching it, nodes before
/// other buildings, nearest first, at most one per power graph and `maxNodes` in all, skipping nodes that are
/// full. Returns the positions linked, in order (the server announces each as a `tileConfig`).
///
/// Partial: insulation (`PowerNode.insulated`, plastanium walls between the ends) is not checked, and every block
/// with a power module counts as a producer or consumer.
pub fn auto_link(grid: &mut Grid, node: i32) -> Vec<i32> {
    let Some(n) = grid.building(node) else { return Vec::new() };
    let Some(rule) = node_rule(n.block) else { return Vec::new() };
    let (block, team) = (n.block, n.team);
    let (x, y) = grid::unpack(node);
    let adjacent = adjacent_powered(grid, node, block, team);
    let mut excluded = graph_of(grid, node);
    for &a in &adjacent {
        excluded.extend(graph_of(grid, a));
    }
    // Geometry.circle over (int)(laserRange + 2) tiles, the buildings in it once each.
    let r = (rule.laser_range + 2.0) as i32;
    let mut candidates: Vec<i32> = Vec::new();
    for dx in -r..=r {
        for dy in -r..=r {
            if dx * dx + dy * dy > r * r {
                continue;
            }
            let Some((p, b)) = grid.building_at(x + dx, y + dy) else { continue };
            if p == node
                || candidates.contains(&p)
                || b.team != team
                || b.construction.is_some()
                || !has_power(b.block)
                || adjacent.contains(&p)
                || !overlaps((node, block), (p, b.block), rule.laser_range * TILE)
            {
                continue;
            }
            candidates.push(p);
        }
    }
    let tile = (x as f32 * TILE, y as f32 * TILE);
    let key = |p: i32| {
        let b = grid.building(p).map_or(0, |b| b.block);
        let (cx, cy) = centre(p, b);
        (node_rule(b).is_none(), (cx - tile.0).powi(2) + (cy - tile.1).powi(2))
    };
    candidates.sort_by(|a, b| {
        let (ka, kb) = (key(*a), key(*b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
    let mut linked = Vec::new();
    let mut count = 0;
    for p in candidates {
        let Some(b) = grid.building(p) else { continue };
        let full = node_rule(b.block).is_some_and(|o| b.power_links.len() >= o.max_nodes);
        if full || excluded.contains(&p) {
            continue;
        }
        count += 1;
        if count > rule.max_nodes {
            break;
        }
        excluded.extend(graph_of(grid, p));
        let already = grid.building(node).is_some_and(|b| b.power_links.contains(&p));
        if !already && toggle_link(grid, node, p) {
            linked.push(p);
        }
    }
    linked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Building;

    fn put(grid: &mut Grid, x: i32, y: i32, name: &str) -> i32 {
        let rule = blocks::rule_named(name).expect(name);
        assert!(grid.put(x, y, rule.size, Building::new(rule.id, 1, 0, 100.0)));
        grid::pack(x, y)
    }

    #[test]
    fn links_respect_max_nodes_and_the_longer_range_of_two_nodes() {
        let mut grid = Grid::new(80, 80, 1);
        let tower = put(&mut grid, 10, 10, "surge-tower");
        let batteries: Vec<i32> = (0..3).map(|i| put(&mut grid, 14 + 2 * i, 14, "battery")).collect();
        assert!(toggle_link(&mut grid, tower, batteries[0]));
        assert!(toggle_link(&mut grid, tower, batteries[1]));
        assert!(!toggle_link(&mut grid, tower, batteries[2]), "surge tower: maxNodes 2");
        // A small node 30 tiles from the tower: outside its own range (6) but inside the tower's (40).
        let node = put(&mut grid, 40, 10, "power-node");
        assert!(link_valid(&grid, node, tower, false));
        assert!(!link_valid(&grid, node, tower, true), "the tower is full");
        assert!(toggle_link(&mut grid, tower, batteries[1]), "unlinking frees a slot");
        assert!(toggle_link(&mut grid, node, tower));
        assert_eq!(grid.building(tower).map(|b| b.power_links.clone()), Some(vec![batteries[0], node]));
        // A building without a power module is never linked.
        let wall = put(&mut grid, 12, 20, "copper-wall");
        assert!(!toggle_link(&mut grid, tower, wall));
    }
}
