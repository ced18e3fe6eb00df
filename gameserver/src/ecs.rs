//! The entity store of one world: players and units, kept in a Legion ECS.
//!
//! Owns: every Legion type the gameserver uses. Nothing outside this module names `legion`; the rest of the
//! crate addresses entities by their Mindustry entity id (`i32`, the id clients see). Swapping the ECS (Legion
//! is unmaintained, see `shared/docs/stack.md`) is a change to this file only.
//!
//! Does not own: what players and units *do* (the simulation in `sim`), the tile grid and buildings.
//!
//! Invariants: an id maps to at most one live entity; ids are never reused within a world session
//! (clients ignore ids they have seen die), the allocator only counts up.

use std::collections::{BTreeMap, HashMap};

use legion::{EntityStore, IntoQuery};

use crate::sim::{PlayerState, UnitState};

/// Players and units of one world.
pub struct Ecs {
    world: legion::World,
    players: BTreeMap<i32, legion::Entity>,
    units: BTreeMap<i32, legion::Entity>,
    next_id: i32,
}

impl std::fmt::Debug for Ecs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ecs")
            .field("players", &self.players.len())
            .field("units", &self.units.len())
            .field("next_id", &self.next_id)
            .finish()
    }
}

impl Ecs {
    /// An empty store whose first allocated id is `first_id` (> 0; Java starts its counter at 1 and a restored
    /// world continues after the highest id it saw).
    pub fn new(first_id: i32) -> Self {
        Self {
            world: legion::World::default(),
            players: BTreeMap::new(),
            units: BTreeMap::new(),
            next_id: first_id.max(1),
        }
    }

    /// A fresh entity id (never reused).
    pub fn allocate_id(&mut self) -> i32 {
        let id = self.next_id;
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        id
    }

    /// The id the next allocation returns.
    pub fn next_id(&self) -> i32 {
        self.next_id
    }

    /// Adds a player; its `id` must come from [`Ecs::allocate_id`]. Replaces nothing: a duplicate id is refused.
    pub fn insert_player(&mut self, player: PlayerState) -> bool {
        if self.players.contains_key(&player.id) {
            return false;
        }
        let id = player.id;
        let e = self.world.push((player,));
        self.players.insert(id, e);
        true
    }

    /// Adds a unit; its `id` must come from [`Ecs::allocate_id`].
    pub fn insert_unit(&mut self, unit: UnitState) -> bool {
        if self.units.contains_key(&unit.id) {
            return false;
        }
        let id = unit.id;
        let e = self.world.push((unit,));
        self.units.insert(id, e);
        true
    }

    /// Removes a player, returning its state.
    pub fn remove_player(&mut self, id: i32) -> Option<PlayerState> {
        let e = self.players.remove(&id)?;
        let state = self.world.entry_ref(e).ok().and_then(|r| r.get_component::<PlayerState>().ok().cloned());
        self.world.remove(e);
        state
    }

    /// Removes a unit, returning its state.
    pub fn remove_unit(&mut self, id: i32) -> Option<UnitState> {
        let e = self.units.remove(&id)?;
        let state = self.world.entry_ref(e).ok().and_then(|r| r.get_component::<UnitState>().ok().cloned());
        self.world.remove(e);
        state
    }

    /// A player by id.
    pub fn player(&self, id: i32) -> Option<&PlayerState> {
        let e = *self.players.get(&id)?;
        self.world.entry_ref(e).ok()?.into_component::<PlayerState>().ok()
    }

    /// A player by id, mutably.
    pub fn player_mut(&mut self, id: i32) -> Option<&mut PlayerState> {
        let e = *self.players.get(&id)?;
        self.world.entry_mut(e).ok()?.into_component_mut::<PlayerState>().ok()
    }

    /// A unit by id.
    pub fn unit(&self, id: i32) -> Option<&UnitState> {
        let e = *self.units.get(&id)?;
        self.world.entry_ref(e).ok()?.into_component::<UnitState>().ok()
    }

    /// A unit by id, mutably.
    pub fn unit_mut(&mut self, id: i32) -> Option<&mut UnitState> {
        let e = *self.units.get(&id)?;
        self.world.entry_mut(e).ok()?.into_component_mut::<UnitState>().ok()
    }

    /// Ids of all players, ascending.
    pub fn player_ids(&self) -> Vec<i32> {
        self.players.keys().copied().collect()
    }

    /// Ids of all units, ascending.
    pub fn unit_ids(&self) -> Vec<i32> {
        self.units.keys().copied().collect()
    }

    /// Number of players.
    pub fn player_count(&self) -> usize {
        self.players.len()
    }

    /// Number of units.
    pub fn unit_count(&self) -> usize {
        self.units.len()
    }

    /// All players, ascending by id.
    pub fn players(&self) -> impl Iterator<Item = &PlayerState> {
        self.players.keys().filter_map(|id| self.player(*id))
    }

    /// All units, ascending by id.
    pub fn units(&self) -> impl Iterator<Item = &UnitState> {
        self.units.keys().filter_map(|id| self.unit(*id))
    }

    /// Runs `f` on every unit (a Legion query; order unspecified).
    pub fn for_each_unit_mut(&mut self, mut f: impl FnMut(&mut UnitState)) {
        let mut query = <&mut UnitState>::query();
        for u in query.iter_mut(&mut self.world) {
            f(u);
        }
    }

    /// Maps of player id → player name, for lookups by name.
    pub fn player_names(&self) -> HashMap<i32, String> {
        self.players().map(|p| (p.id, p.name.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_count_up_and_entities_round_trip() {
        let mut ecs = Ecs::new(1);
        let a = ecs.allocate_id();
        let b = ecs.allocate_id();
        assert_eq!((a, b), (1, 2));
        let mut p = PlayerState::for_tests(a, "one");
        p.team = 1;
        assert!(ecs.insert_player(p.clone()));
        assert!(!ecs.insert_player(p), "duplicate id refused");
        assert!(ecs.insert_unit(UnitState::for_tests(b, a)));
        ecs.player_mut(a).expect("player").x = 5.0;
        assert_eq!(ecs.player(a).expect("player").x, 5.0);
        ecs.for_each_unit_mut(|u| u.x += 1.0);
        assert_eq!(ecs.unit(b).expect("unit").x, 1.0);
        assert_eq!(ecs.remove_unit(b).map(|u| u.controller), Some(a));
        assert!(ecs.unit(b).is_none());
        assert_eq!(ecs.player_ids(), vec![a]);
        assert_eq!(ecs.remove_player(a).map(|p| p.name), Some("one".to_string()));
        assert_eq!(ecs.player_count(), 0);
        assert_eq!(ecs.allocate_id(), 3, "never reused");
    }
}
